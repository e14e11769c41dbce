import type { Migration } from '../../infra/sql/migrate.js';

/** Messages and their reactions, written by the `messages` projection. */
export const messagesMigrations: Migration[] = [
  {
    id: '001-messages-and-reactions',
    sql: `
      create table messages (
        id uuid primary key,
        conversation_id uuid not null,
        seq integer not null,
        sender_id uuid not null,
        client_msg_id uuid not null,
        -- null once deleted: the tombstone keeps only its seq and sender.
        body text,
        -- Attachment keys, as sent.
        attachments jsonb not null default '[]',
        reply_to uuid,
        created_at timestamptz not null,
        edited_at timestamptz,
        deleted boolean not null default false,
        -- Revision of the last event that changed this row: an older event replayed
        -- from the parked table later must not undo a newer edit.
        rev integer not null,
        -- Also the index of every page query.
        constraint messages_conversation_seq unique (conversation_id, seq)
      );

      create table message_reactions (
        message_id uuid not null,
        emoji text not null,
        user_id uuid not null,
        created_at timestamptz not null,
        -- Also the index of "the reactions of these messages".
        primary key (message_id, emoji, user_id)
      );
    `,
  },
  {
    // For the offline-notification planner: per conversation, the newest message
    // old enough to mail, in one probe. Without it each round read every unread
    // message younger than the delay once per member (seconds under a chat load).
    id: '002-messages-by-conversation-and-time',
    sql: `create index messages_conversation_created on messages (conversation_id, created_at, seq)`,
  },
];
