import type { Migration } from '../../infra/sql/migrate.js';

/**
 * The public profiles, one row per registered user. Written only by the `users`
 * projection. Idempotent statements: the projection runner and the accounts
 * feature may both apply them, whichever starts first.
 */
export const usersReadModelMigrations: Migration[] = [
  {
    id: '001-users',
    sql: `
      create table if not exists users (
        id uuid primary key,
        -- lowercase already (the domain stores it so), unique by the credentials table
        username text not null,
        display_name text not null,
        created_at timestamptz not null
      );
      -- text_pattern_ops: a btree that serves "starts with" (LIKE 'prefix%') searches.
      create index if not exists users_username_prefix on users (username text_pattern_ops);
      create index if not exists users_display_name_prefix on users (lower(display_name) text_pattern_ops);
    `,
  },
];
