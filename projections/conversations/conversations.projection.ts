import type {
  ConversationCreated,
  Member,
  MessageSent,
} from '../../domain/conversation/conversation.events.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { conversationsMigrations } from '../../readmodels/conversations/conversations.schema.js';
import { applyInRuns } from '../event-runs.js';
import type { Projection } from '../projection.js';
import { conversationEventTypes, conversationIdOf, decodeRecorded } from '../recorded-events.js';

/**
 * Conversations, their members and each member's read marker
 * (`readmodels/conversations`). Every event of a conversation stream moves the
 * conversation's `last_rev` and activity time; messages also move `last_seq`,
 * and the sender's own read marker, so one's own messages are never unread.
 */
export const conversationsProjection: Projection = {
  name: 'conversations',
  version: 1,
  eventTypes: [...conversationEventTypes, 'ReadMarkerMoved'],
  migrations: conversationsMigrations,
  tables: ['conversations', 'conversation_members'],

  async apply(tx, recorded) {
    const event = decodeRecorded(recorded);
    if (event.type === 'ReadMarkerMoved') {
      const { conversationId, userId, seq } = event.data;
      return raiseReadSeq(tx, conversationId, userId, seq);
    }
    if (event.type === 'UserRegistered' || event.type === 'UserProfileUpdated') return;

    const conversationId = conversationIdOf(recorded);
    switch (event.type) {
      case 'ConversationCreated':
        return createConversation(tx, conversationId, event.data, recorded);
      case 'MessageSent':
        return applySentMessages(tx, [recorded]);
      case 'MembersAdded':
        await addMembers(tx, conversationId, event.data.members, recorded.revision);
        break;
      case 'MemberRemoved':
        await tx.query('delete from conversation_members where conversation_id = $1 and user_id = $2', [
          conversationId,
          event.data.userId,
        ]);
        break;
      case 'MemberRoleChanged':
        await tx.query(
          'update conversation_members set role = $3 where conversation_id = $1 and user_id = $2',
          [conversationId, event.data.userId, event.data.role],
        );
        break;
      case 'ConversationRenamed':
        await tx.query('update conversations set title = $2 where id = $1', [
          conversationId,
          event.data.title,
        ]);
        break;
      case 'MessageEdited':
      case 'MessageDeleted':
      case 'ReactionAdded':
      case 'ReactionRemoved':
        // Only the conversation's rev and activity change (below); the messages projection does the rest.
        break;
      default:
        return event satisfies never;
    }
    await tx.query(
      `update conversations set
         last_rev = greatest(last_rev, $2::int),
         last_activity_at = greatest(last_activity_at, $3::timestamptz)
       where id = $1`,
      [conversationId, recorded.revision, recorded.createdAt.toISOString()],
    );
  },

  // A busy conversation is mostly sends: each run of them is one statement, whatever its length.
  applyBatch(tx, events) {
    return applyInRuns(
      events,
      'MessageSent',
      (run) => applySentMessages(tx, run),
      (event) => conversationsProjection.apply(tx, event),
    );
  },
};

/**
 * The effect of `MessageSent` events: each conversation's newest message, rev and
 * activity, and each sender's own read marker. Folded per row first, because an
 * `update … from` that meets one row twice applies only one of the matches.
 */
async function applySentMessages(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void> {
  const conversations = new Map<string, { seq: number; messageId: string; rev: number; at: string }>();
  const senders = new Map<string, { conversationId: string; userId: string; seq: number }>();
  for (const recorded of events) {
    const conversationId = conversationIdOf(recorded);
    const { seq, messageId, senderId, sentAt } = decodeRecorded<MessageSent>(recorded).data;
    const latest = conversations.get(conversationId);
    conversations.set(conversationId, {
      seq: Math.max(seq, latest?.seq ?? 0),
      messageId: latest && latest.seq > seq ? latest.messageId : messageId,
      rev: Math.max(recorded.revision, latest?.rev ?? -1),
      at: latest && latest.at > sentAt ? latest.at : sentAt,
    });
    const key = `${conversationId}:${senderId}`;
    const marker = senders.get(key);
    senders.set(key, { conversationId, userId: senderId, seq: Math.max(seq, marker?.seq ?? 0) });
  }
  const rows = [...conversations];
  const markers = [...senders.values()];
  // One statement, one round trip: the two updates touch different tables, so the
  // CTE's snapshot (neither sees the other's change) does not matter.
  await tx.query(
    `with conversation_rows as (
       update conversations c set
         last_seq = greatest(c.last_seq, v.seq),
         last_message_id = case when v.seq >= c.last_seq then v.message_id else c.last_message_id end,
         last_rev = greatest(c.last_rev, v.rev),
         last_activity_at = greatest(c.last_activity_at, v.at)
       from unnest($1::uuid[], $2::int[], $3::uuid[], $4::int[], $5::timestamptz[]) as v(id, seq, message_id, rev, at)
       where c.id = v.id
     )
     update conversation_members m set read_seq = greatest(m.read_seq, v.seq)
       from unnest($6::uuid[], $7::uuid[], $8::int[]) as v(conversation_id, user_id, seq)
      where m.conversation_id = v.conversation_id and m.user_id = v.user_id`,
    [
      rows.map(([id]) => id),
      rows.map(([, row]) => row.seq),
      rows.map(([, row]) => row.messageId),
      rows.map(([, row]) => row.rev),
      rows.map(([, row]) => row.at),
      markers.map((marker) => marker.conversationId),
      markers.map((marker) => marker.userId),
      markers.map((marker) => marker.seq),
    ],
  );
}

async function createConversation(
  tx: SqlExecutor,
  conversationId: string,
  data: ConversationCreated['data'],
  recorded: RecordedEvent,
): Promise<void> {
  if (data.conversationId !== conversationId)
    throw new Error(`ConversationCreated for ${data.conversationId} found in stream ${recorded.stream}`);
  await tx.query(
    `insert into conversations (id, kind, title, created_at, last_seq, last_rev, last_message_id, last_activity_at)
     values ($1, $2, $3, $4::timestamptz, 0, $5::int, null, $6::timestamptz)`,
    [
      conversationId,
      data.kind,
      data.title,
      data.createdAt,
      recorded.revision,
      recorded.createdAt.toISOString(),
    ],
  );
  await addMembers(tx, conversationId, data.members, recorded.revision);
}

/** A member who joins again gets a fresh row: nothing of the earlier membership (read marker included) is kept. */
async function addMembers(
  tx: SqlExecutor,
  conversationId: string,
  members: readonly Member[],
  revision: number,
): Promise<void> {
  await tx.query(
    `insert into conversation_members
       (conversation_id, user_id, role, joined_at, joined_rev, joined_index, read_seq)
     select $1, m.user_id, m.role, m.joined_at, $2::int, m.ordinal - 1, 0
       from unnest($3::uuid[], $4::text[], $5::timestamptz[]) with ordinality as m(user_id, role, joined_at, ordinal)
     on conflict (conversation_id, user_id) do update set
       role = excluded.role, joined_at = excluded.joined_at, joined_rev = excluded.joined_rev,
       joined_index = excluded.joined_index, read_seq = 0`,
    [
      conversationId,
      revision,
      members.map((member) => member.userId),
      members.map((member) => member.role),
      members.map((member) => member.joinedAt),
    ],
  );
}

/** Markers only move forward, and only for current members (a marker of someone who left is dropped). */
async function raiseReadSeq(
  tx: SqlExecutor,
  conversationId: string,
  userId: string,
  seq: number,
): Promise<void> {
  await tx.query(
    `update conversation_members set read_seq = greatest(read_seq, $3::int)
      where conversation_id = $1 and user_id = $2`,
    [conversationId, userId, seq],
  );
}
