import type { UnreadChange } from '../../infra/unread/unread-counters.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import { conversationIdOf, decodeRecorded } from '../recorded-events.js';

/** The event types that move unread counters; every other event only moves the checkpoint. */
export const unreadEventTypes: ReadonlySet<string> = new Set([
  'ConversationCreated',
  'MembersAdded',
  'MemberRemoved',
  'MessageSent',
  'ReadMarkerMoved',
]);

/**
 * What an event does to the unread counters, or null when it does nothing. The
 * rules are those of `projections/conversations` (the Postgres read model), which
 * the counters must agree with: a conversation starts at lastSeq 0; a member who
 * joins (again) starts at read seq 0; one who leaves is dropped with their marker;
 * a message raises lastSeq and its sender's own marker; markers only rise, and
 * only for current members. Throws on data that does not decode.
 */
export function unreadChangeOf(recorded: RecordedEvent): UnreadChange | null {
  if (!unreadEventTypes.has(recorded.type)) return null;
  const event = decodeRecorded(recorded);
  const revision = recorded.revision;
  switch (event.type) {
    case 'ReadMarkerMoved': {
      const { conversationId, userId, seq } = event.data;
      return { conversationId, stream: 'receipts', revision, read: { userId, seq } };
    }
    case 'ConversationCreated':
      return {
        conversationId: conversationIdOf(recorded),
        stream: 'conversation',
        revision,
        created: true,
        joined: event.data.members.map((member) => member.userId),
      };
    case 'MembersAdded':
      return {
        conversationId: conversationIdOf(recorded),
        stream: 'conversation',
        revision,
        joined: event.data.members.map((member) => member.userId),
      };
    case 'MemberRemoved':
      return {
        conversationId: conversationIdOf(recorded),
        stream: 'conversation',
        revision,
        left: [event.data.userId],
      };
    case 'MessageSent': {
      const { seq, senderId } = event.data;
      return {
        conversationId: conversationIdOf(recorded),
        stream: 'conversation',
        revision,
        lastSeq: seq,
        read: { userId: senderId, seq },
      };
    }
    default:
      return null;
  }
}
