import type { Migration } from '../../sql/migrate.js';

/**
 * The PostgreSQL engine's index: one row per message, with its text as a
 * `tsvector` under a GIN index. A deleted message keeps a row without text (a
 * tombstone) so that a replayed older event cannot bring its text back.
 */
export const postgresSearchMigrations: Migration[] = [
  {
    id: '001-message-search',
    sql: `
      create table message_search (
        message_id uuid primary key,
        conversation_id uuid not null,
        -- Null only for a tombstone written before its message was ever indexed.
        sent_at timestamptz,
        -- Revision of the conversation stream's event behind this row: older ones are ignored.
        rev integer not null,
        -- Both null once deleted.
        body text,
        document tsvector,
        deleted boolean not null default false
      );
      -- The default pending list (4 MB): a 16 MB one made queries 4x slower at p99 for no faster replay.
      create index message_search_document on message_search using gin (document);
      -- "Search one conversation", and the membership join for users in few conversations.
      create index message_search_conversation on message_search (conversation_id);
    `,
  },
];
