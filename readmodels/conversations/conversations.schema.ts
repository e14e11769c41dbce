import type { Migration } from '../../infra/sql/migrate.js';

/**
 * The conversation list and membership, written by the `conversations` projection.
 *
 * A member's read state lives on the membership row: it exists exactly as long as
 * the membership does, so a member who leaves and comes back starts from nothing.
 */
export const conversationsMigrations: Migration[] = [
  {
    id: '001-conversations-and-members',
    sql: `
      create table conversations (
        id uuid primary key,
        kind text not null,
        title text,
        created_at timestamptz not null,
        -- seq of the newest message (0 before the first).
        last_seq integer not null default 0,
        -- revision of the newest event of the conversation's stream, whatever its type.
        last_rev integer not null,
        last_message_id uuid,
        -- Time of the newest event of the stream; only moves forward.
        last_activity_at timestamptz not null
      );
      -- The order of the conversation list.
      create index conversations_activity on conversations (last_activity_at desc, id desc);

      create table conversation_members (
        conversation_id uuid not null,
        user_id uuid not null,
        role text not null,
        joined_at timestamptz not null,
        -- Join order: the revision of the event that added the member, then its place in that event.
        joined_rev integer not null,
        joined_index integer not null,
        -- Effective read marker: the explicit marker or the member's own newest message, whichever is higher.
        read_seq integer not null default 0,
        primary key (conversation_id, user_id)
      );
      -- "Conversations of a user".
      create index conversation_members_user on conversation_members (user_id, conversation_id);
    `,
  },
];
