/**
 * A realistic chat log written straight to the event store, in big appends: many
 * conversations, mostly sends, with edits, deletions and reactions mixed in, so a
 * rebuild meets every event type the chat projections handle, fast to seed.
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../../domain/events.registry.js';
import type { EventStore } from '../../../infra/eventstore/event-store.js';
import { seededRandom } from '../../../test/support/seeded-random.js';
import {
  conversationCreated,
  conversationRenamed,
  conversationStream,
  messageDeleted,
  messageEdited,
  messageSent,
  reactionAdded,
  reactionRemoved,
} from '../../testing/chat-events.js';
import { appendDomainEvents } from '../../testing/domain-events.js';

export interface ChatLogOptions {
  /** At least this many events are written (whole conversations, so a few more). */
  events: number;
  /** Members of every conversation (existing users, so their API calls see them). */
  members: readonly string[];
  /** Events per conversation stream; each stream is one append. Defaults to 1,000. */
  perConversation?: number;
  seed?: number;
}

/** Appends the log and returns the conversations it made and how many events it wrote. */
export async function seedChatLog(
  eventStore: EventStore,
  options: ChatLogOptions,
): Promise<{ conversations: string[]; events: number }> {
  const next = seededRandom(options.seed ?? 7);
  const perConversation = options.perConversation ?? 1_000;
  const [owner, ...others] = options.members;
  if (!owner) throw new Error('a chat log needs at least one member');
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const start = Date.UTC(2031, 0, 1);
  const conversations: string[] = [];
  let written = 0;
  while (written < options.events) {
    const conversationId = randomUUID();
    conversations.push(conversationId);
    let clock = start + written * 1_000;
    const at = () => new Date((clock += 1_000)).toISOString();
    const events: DomainEvent[] = [conversationCreated({ conversationId, owner, others, at: at() })];
    const sent: ReturnType<typeof messageSent>[] = [];
    while (events.length < perConversation) {
      const roll = next();
      const earlier = sent.length > 0 ? pick(sent) : undefined;
      if (earlier && roll < 0.05) events.push(messageEdited(earlier, `edited ${next()}`, at()));
      else if (earlier && roll < 0.07) events.push(messageDeleted(earlier, earlier.data.senderId, at()));
      else if (earlier && roll < 0.15)
        events.push(reactionAdded(earlier, pick(['👍', '🎉']), pick(options.members), at()));
      else if (earlier && roll < 0.17)
        events.push(reactionRemoved(earlier, '👍', pick(options.members), at()));
      else if (roll < 0.175)
        events.push(conversationRenamed(`room ${Math.floor(next() * 100)}`, owner, at()));
      else {
        const message = messageSent({
          seq: sent.length + 1,
          senderId: pick(options.members),
          sentAt: at(),
          body: `message ${sent.length + 1} about ${pick(['lunch', 'the release', 'tests', 'a bug'])}`,
        });
        sent.push(message);
        events.push(message);
      }
    }
    await appendDomainEvents(eventStore, conversationStream(conversationId), events);
    written += events.length;
  }
  return { conversations, events: written };
}
