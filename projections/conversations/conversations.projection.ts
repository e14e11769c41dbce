import type { ConversationCreated, Member } from '../../domain/conversation/conversation.events.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { conversationsMigrations } from '../../readmodels/conversations/conversations.schema.js';
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
      case 'MessageSent': {
        const { seq, messageId, senderId, sentAt } = event.data;
        await tx.query(
          `update conversations set
             last_seq = greatest(last_seq, $2::int),
             last_message_id = case when $2::int >= last_seq then $3::uuid else last_message_id end,
             last_rev = greatest(last_rev, $4::int),
             last_activity_at = greatest(last_activity_at, $5::timestamptz)
           where id = $1`,
          [conversationId, seq, messageId, recorded.revision, sentAt],
        );
        return raiseReadSeq(tx, conversationId, senderId, seq);
      }
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
};

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
