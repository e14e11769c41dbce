import type { DomainEvent } from '../domain/events.registry.js';
import { decodeStoredEvent } from '../domain/events.registry.js';
import type { RecordedEvent } from '../infra/eventstore/event-store.js';

const CONVERSATION_STREAM_PREFIX = 'conversation-';

/**
 * A stored event as the current domain event (see `decodeStoredEvent`), decoded
 * once however many readers ask. Throws on data that does not decode, which parks
 * the event.
 */
export function decodeRecorded<Event extends DomainEvent = DomainEvent>(event: RecordedEvent): Event {
  const known = decoded.get(event);
  if (known) return known as Event;
  const domainEvent = decodeStoredEvent(event);
  decoded.set(event, domainEvent);
  return domainEvent as Event;
}

/**
 * Subscriptions that read the log together are handed the same recorded event:
 * the projections of one runner, and the live fan-out. Most decode a new message,
 * so one decode (and schema check) serves them all. Decoded events are facts,
 * never changed by the code that reads them.
 */
const decoded = new WeakMap<RecordedEvent, DomainEvent>();

/** The conversation an event of a `conversation-<uuid>` stream belongs to. */
export function conversationIdOf(event: RecordedEvent): string {
  if (!event.stream.startsWith(CONVERSATION_STREAM_PREFIX))
    throw new Error(`${event.type} found in stream ${event.stream}, not in a conversation stream`);
  return event.stream.slice(CONVERSATION_STREAM_PREFIX.length);
}

/** Every event type of a conversation stream. */
export const conversationEventTypes = [
  'ConversationCreated',
  'MembersAdded',
  'MemberRemoved',
  'MemberRoleChanged',
  'ConversationRenamed',
  'MessageSent',
  'MessageEdited',
  'MessageDeleted',
  'ReactionAdded',
  'ReactionRemoved',
] as const satisfies readonly DomainEvent['type'][];
