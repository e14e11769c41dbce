import type { Migration } from '../../infra/sql/migrate.js';

/**
 * The runner's own tables. A checkpoint is the global position of the last event
 * a projection has committed; it is written in the same transaction as the
 * projection's rows, so the pair can never disagree.
 */
export const runnerMigrations: Migration[] = [
  {
    id: '001-checkpoints-and-parked',
    sql: `
      create table projection_checkpoints (
        name text primary key,
        -- The projection version that last wrote this checkpoint.
        version integer not null,
        position bigint not null default 0,
        updated_at timestamptz not null default now()
      );

      create table projection_parked (
        id bigserial primary key,
        projection text not null,
        position bigint not null,
        stream text not null,
        revision bigint not null,
        event_id text not null,
        event_type text not null,
        error text not null,
        attempts integer not null,
        parked_at timestamptz not null default now(),
        -- Also the index for "this projection's parked events in position order".
        constraint projection_parked_event unique (projection, position)
      );
    `,
  },
  {
    // Set while a projection retries an event it failed on, apart from the others.
    id: '002-held-back',
    sql: 'alter table projection_checkpoints add column held_back_since timestamptz',
  },
];
