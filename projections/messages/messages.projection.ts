import type { MessageSent } from '../../domain/conversation/conversation.events.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { messagesMigrations } from '../../readmodels/messages/messages.schema.js';
import { applyInRuns } from '../event-runs.js';
import type { Projection } from '../projection.js';
import { conversationIdOf, decodeRecorded } from '../recorded-events.js';

/**
 * Messages and reactions (`readmodels/messages`). A deleted message stays as a
 * tombstone that keeps its seq: no body, no attachments, no reactions.
 *
 * Changes to a message apply only when they are newer (by stream revision) than
 * what the row already shows, so replaying a parked event later cannot undo a
 * newer edit or bring a deleted message's body back.
 */
export const messagesProjection: Projection = {
  name: 'messages',
  version: 1,
  eventTypes: ['MessageSent', 'MessageEdited', 'MessageDeleted', 'ReactionAdded', 'ReactionRemoved'],
  migrations: messagesMigrations,
  tables: ['messages', 'message_reactions'],

  async apply(tx, recorded) {
    const event = decodeRecorded(recorded);
    switch (event.type) {
      case 'MessageSent': {
        return insertMessages(tx, [recorded]);
      }
      case 'MessageEdited':
        await tx.query(
          `update messages set body = $3, edited_at = $4::timestamptz, rev = $5::int
            where id = $1 and conversation_id = $2 and not deleted and rev < $5::int`,
          [
            event.data.messageId,
            conversationIdOf(recorded),
            event.data.body,
            event.data.editedAt,
            recorded.revision,
          ],
        );
        return;
      case 'MessageDeleted':
        await tx.query(
          `update messages set body = null, attachments = '[]'::jsonb, deleted = true,
             rev = greatest(rev, $3::int)
            where id = $1 and conversation_id = $2`,
          [event.data.messageId, conversationIdOf(recorded), recorded.revision],
        );
        await tx.query('delete from message_reactions where message_id = $1', [event.data.messageId]);
        return;
      case 'ReactionAdded': {
        const { messageId, emoji, userId, at } = event.data;
        // A reaction to a tombstone (a parked event replayed after the delete) is dropped.
        await tx.query(
          `insert into message_reactions (message_id, emoji, user_id, created_at)
           select $1, $2, $3, $4::timestamptz
            where exists (select 1 from messages where id = $1 and conversation_id = $5 and not deleted)
           on conflict (message_id, emoji, user_id) do nothing`,
          [messageId, emoji, userId, at, conversationIdOf(recorded)],
        );
        return;
      }
      case 'ReactionRemoved':
        await tx.query(
          'delete from message_reactions where message_id = $1 and emoji = $2 and user_id = $3',
          [event.data.messageId, event.data.emoji, event.data.userId],
        );
        return;
      default:
        // Not among `eventTypes`: never delivered here.
        return;
    }
  },

  // A busy conversation is mostly sends: each run of them is one insert.
  applyBatch(tx, events) {
    return applyInRuns(
      events,
      'MessageSent',
      (run) => insertMessages(tx, run),
      (event) => messagesProjection.apply(tx, event),
    );
  },
};

/** Inserts the messages of `MessageSent` events in one statement. */
async function insertMessages(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void> {
  const rows = events.map((recorded) => ({
    recorded,
    data: decodeRecorded<MessageSent>(recorded).data,
  }));
  await tx.query(
    `insert into messages
       (id, conversation_id, seq, sender_id, client_msg_id, body, attachments, reply_to,
        created_at, edited_at, deleted, rev)
     select id, conversation_id, seq, sender_id, client_msg_id, body, attachments::jsonb, reply_to,
            created_at, null, false, rev
       from unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
                   $8::uuid[], $9::timestamptz[], $10::int[])
            as m(id, conversation_id, seq, sender_id, client_msg_id, body, attachments, reply_to, created_at, rev)`,
    [
      rows.map(({ data }) => data.messageId),
      rows.map(({ recorded }) => conversationIdOf(recorded)),
      rows.map(({ data }) => data.seq),
      rows.map(({ data }) => data.senderId),
      rows.map(({ data }) => data.clientMsgId),
      rows.map(({ data }) => data.body),
      rows.map(({ data }) => JSON.stringify(data.attachments)),
      rows.map(({ data }) => data.replyTo),
      rows.map(({ data }) => data.sentAt),
      rows.map(({ recorded }) => recorded.revision),
    ],
  );
}
