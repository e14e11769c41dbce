/**
 * What the stream processor's specs share: a throw-away PostgreSQL event store,
 * conversation commands and processors on it, and one node's view of the store
 * whose reads and appends a spec can count or break.
 */
import { randomUUID } from 'node:crypto';

import type { SendMessage } from '../../../domain/conversation/conversation.commands.js';
import { conversationDecider } from '../../../domain/conversation/conversation.decider.js';
import type { ConversationEvent } from '../../../domain/conversation/conversation.events.js';
import {
  conversationStateEntries,
  type ConversationState,
} from '../../../domain/conversation/conversation.state.js';
import type { EventStore } from '../../../infra/eventstore/event-store.js';
import { openPostgresEventStore } from '../../../infra/eventstore/open-event-store.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { ConversationCommands, type UserDirectory } from '../../conversations/conversation-commands.js';
import { decodeRecorded, encodeEvent } from '../event-codec.js';
import { StreamProcessor, type StreamFold, type StreamProcessorOptions } from '../stream-processor.js';

/** The specs are about the processor, not about who may be added to a conversation. */
const everyoneExists: UserDirectory = { existingUserIds: async (ids) => new Set(ids) };

export interface TestEventStore {
  store: EventStore;
  /** Closes the store, then drops its database. */
  close(): Promise<void>;
}

/** A PostgreSQL event store on a fresh database of its own, so no spec sees another's streams. */
export async function openTestEventStore(label: string): Promise<TestEventStore> {
  const database = await createTestDatabase(label);
  let store: EventStore;
  try {
    store = await openPostgresEventStore(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    store,
    async close() {
      try {
        await store.close();
      } finally {
        await database.drop();
      }
    },
  };
}

/**
 * `store` with its appends and reads replaced and everything else passed through:
 * the decorators stay on the real store, so what they count is what it did.
 */
export function interceptEventStore(
  store: EventStore,
  intercept: Pick<EventStore, 'appendToStream' | 'readStream'>,
): EventStore {
  return {
    engine: store.engine,
    appendToStream: intercept.appendToStream,
    readStream: intercept.readStream,
    readAll: (options) => store.readAll(options),
    subscribeToAll: (options) => store.subscribeToAll(options),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
  };
}

/** The conversation commands as one node runs them against `eventStore`. */
export const commandsOn = (eventStore: EventStore) =>
  new ConversationCommands({
    eventStore,
    users: everyoneExists,
    clock: () => new Date(),
    newId: randomUUID,
  });

export type ConversationProcessorOptions = StreamFold<ConversationState, ConversationEvent> &
  Partial<
    Pick<
      StreamProcessorOptions<ConversationState, ConversationEvent>,
      'encode' | 'cacheSize' | 'cacheEntries' | 'maxConflictRetries'
    >
  > & { eventStore: EventStore };

/**
 * A processor of conversation streams built directly, with the production codec
 * (unless `encode` is given) and weights.
 */
export const conversationProcessor = (options: ConversationProcessorOptions) =>
  new StreamProcessor<ConversationState, ConversationEvent>({
    ...options,
    initialState: () => conversationDecider.initialState(),
    decode: decodeRecorded<ConversationEvent>,
    weigh: conversationStateEntries,
    encode: options.encode ?? encodeEvent(randomUUID),
  });

/** A new message from `actorId`, as the handler would hand it to the decider. */
export const sendMessageCommand = (actorId: string, clientMsgId = randomUUID()): SendMessage => ({
  type: 'SendMessage',
  data: { actorId, messageId: randomUUID(), clientMsgId, body: 'x', attachments: [], replyTo: null },
});
