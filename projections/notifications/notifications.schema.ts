import type { Migration } from '../../infra/sql/migrate.js';

/**
 * Offline notifications' state, in the read-model database.
 *
 * - `conversation_mutes`: a member's private preference, state not an event (see
 *   `commands/notifications/mute-conversation.handler.ts`).
 * - `notification_cursors`: per member and conversation, the highest seq some digest
 *   already covers. Moved in the same transaction as the outbox row that covers it,
 *   so no message is ever decided twice, whatever crashes or replays.
 * - `notification_outbox`: one row per digest decided; `idempotency_key` is the user
 *   plus the (conversation, highest seq) pairs it covers, unique, so two planners
 *   deciding the same digest write one row. The sender marks rows `sent_at`.
 */
export const notificationsMigrations: Migration[] = [
  {
    id: '001-mutes-cursors-outbox',
    sql: `
      create table conversation_mutes (
        user_id uuid not null,
        conversation_id uuid not null,
        muted_at timestamptz not null default now(),
        primary key (user_id, conversation_id)
      );

      create table notification_cursors (
        user_id uuid not null,
        conversation_id uuid not null,
        notified_seq integer not null,
        primary key (user_id, conversation_id)
      );

      create table notification_outbox (
        id uuid primary key,
        user_id uuid not null,
        idempotency_key text not null,
        -- [{conversationId, afterSeq, toSeq, unreadCount}]: what the digest covers; its
        -- text is read when it is sent, so a message deleted before then never appears.
        covers jsonb not null,
        created_at timestamptz not null,
        -- A sender's lease: a sender that dies mid-way leaves the row to the next after it.
        claimed_until timestamptz,
        attempts integer not null default 0,
        last_error text,
        sent_at timestamptz,
        -- 'sent', or 'nothing left' when every covered message was deleted or muted before the send.
        outcome text,
        constraint notification_outbox_key unique (idempotency_key)
      );
      create index notification_outbox_pending on notification_outbox (created_at) where sent_at is null;
      create index notification_outbox_user on notification_outbox (user_id, created_at desc);
    `,
  },
];
