/**
 * What a failed append costs a node whose state is cached: with an undo log, the
 * batch is rolled back and only the events stored after the cached revision are
 * read; without one, the whole stream. Reads are counted by a decorator around a
 * real PostgreSQL event store, and another node appending is a second set of
 * commands on the same store.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { conversationDecider } from '../../domain/conversation/conversation.decider.js';
import type { ConversationEvent } from '../../domain/conversation/conversation.events.js';
import {
  evolve,
  evolveWithUndo,
  type ConversationState,
} from '../../domain/conversation/conversation.state.js';
import { WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { conversationStream, type ConversationCommands } from '../conversations/conversation-commands.js';
import type { StreamFold } from './stream-processor.js';
import {
  commandsOn,
  conversationProcessor,
  interceptEventStore,
  openTestEventStore,
  sendMessageCommand,
  type TestEventStore,
} from './testing/stream-processor-kit.js';

/** The store, counting the events read and the conflicts met, and able to fail the next append. */
function instrumented(store: EventStore) {
  const counts = { eventsRead: 0, conflicts: 0 };
  let failNext: 'before-storing' | 'after-storing' | undefined;
  let failReadOnceAfter: number | undefined;
  const counted = interceptEventStore(store, {
    async appendToStream(stream, events, options) {
      const failure = failNext;
      failNext = undefined;
      if (failure === 'before-storing') throw new Error('connection lost before the append');
      try {
        const result = await store.appendToStream(stream, events, options);
        if (failure === 'after-storing') throw new Error('connection lost after the commit');
        return result;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) counts.conflicts += 1;
        throw error;
      }
    },
    async readStream(stream, options) {
      if (failReadOnceAfter !== undefined && counts.eventsRead >= failReadOnceAfter) {
        failReadOnceAfter = undefined;
        throw new Error('connection lost during a read');
      }
      const events = await store.readStream(stream, options);
      counts.eventsRead += events.length;
      return events;
    },
  });
  return {
    store: counted,
    counts,
    reset() {
      counts.eventsRead = 0;
      counts.conflicts = 0;
    },
    failNextAppend(when: 'before-storing' | 'after-storing') {
      failNext = when;
    },
    /** The first read after `count` events were read (since the last reset) fails. */
    failReadOnceAfter(count: number) {
      failReadOnceAfter = count;
    },
  };
}

describe('stream processor after a failed append', () => {
  let opened: TestEventStore | undefined;
  let store: EventStore;
  const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    opened = await openTestEventStore('stream_processor');
    store = opened.store;
  });
  afterAll(() => opened?.close());

  async function groupWithMessages(commands: ConversationCommands, count: number): Promise<string> {
    const { conversationId } = await commands.createConversation(
      { kind: 'group', memberIds: [bob, carol] },
      { actorId: alice },
    );
    for (let index = 0; index < count; index += 1) await send(commands, conversationId, bob);
    return conversationId;
  }

  const send = (
    commands: ConversationCommands,
    conversationId: string,
    actorId: string,
    clientMsgId = randomUUID(),
  ) => commands.sendMessage(conversationId, { clientMsgId, body: 'hi' }, { actorId });

  /** The stream's messages: seqs 1..n in stream order, every id and key once. */
  async function expectGapFreeMessages(conversationId: string, count: number) {
    const sent = (await store.readStream(conversationStream(conversationId), { maxCount: 10_000 }))
      .filter((event) => event.type === 'MessageSent')
      .map((event) => event.data as { seq: number; messageId: string; clientMsgId: string });
    expect(sent.map((message) => message.seq)).toEqual(
      Array.from({ length: count }, (_, index) => index + 1),
    );
    expect(new Set(sent.map((message) => message.messageId)).size).toBe(count);
    expect(new Set(sent.map((message) => message.clientMsgId)).size).toBe(count);
  }

  it('a send that conflicts with another node reads only the events that node appended', async () => {
    const nodeA = instrumented(store);
    const [a, b] = [commandsOn(nodeA.store), commandsOn(store)];
    const conversationId = await groupWithMessages(a, 20);
    for (let index = 0; index < 3; index += 1) await send(b, conversationId, carol);

    nodeA.reset();
    const results = await Promise.all(Array.from({ length: 5 }, () => send(a, conversationId, bob)));

    expect(nodeA.counts.conflicts).toBe(1);
    expect(nodeA.counts.eventsRead).toBe(3); // B's three messages, not the 24 events of the stream
    expect(results.map((result) => result.seq).sort((x, y) => x - y)).toEqual([24, 25, 26, 27, 28]);
    await expectGapFreeMessages(conversationId, 28);
  });

  it('a read marker that conflicts with another node reads only that node’s marker', async () => {
    const nodeA = instrumented(store);
    const [a, b] = [commandsOn(nodeA.store), commandsOn(store)];
    const conversationId = await groupWithMessages(a, 3);
    await a.markRead(conversationId, 1, { actorId: bob });
    await b.markRead(conversationId, 2, { actorId: carol });

    nodeA.reset();
    await a.markRead(conversationId, 3, { actorId: bob });

    expect(nodeA.counts).toEqual({ conflicts: 1, eventsRead: 1 });
    const markers = await store.readStream(`receipts-${conversationId}`);
    expect(markers.map((event) => event.data)).toMatchObject([
      { userId: bob, seq: 1 },
      { userId: carol, seq: 2 },
      { userId: bob, seq: 3 },
    ]);
  });

  it('an append that failed before storing keeps the state cached: nothing old is read again', async () => {
    const nodeA = instrumented(store);
    const a = commandsOn(nodeA.store);
    const conversationId = await groupWithMessages(a, 5);

    nodeA.failNextAppend('before-storing');
    await expect(send(a, conversationId, bob)).rejects.toThrow('connection lost before the append');
    nodeA.reset();
    const next = await send(a, conversationId, bob);

    expect(next.seq).toBe(6);
    expect(nodeA.counts).toEqual({ conflicts: 0, eventsRead: 0 });
    await expectGapFreeMessages(conversationId, 6);
  });

  it('an append that failed after storing is caught up from the tail, and its retry is a duplicate', async () => {
    const nodeA = instrumented(store);
    const a = commandsOn(nodeA.store);
    const conversationId = await groupWithMessages(a, 5);
    const clientMsgId = randomUUID();

    nodeA.failNextAppend('after-storing');
    await expect(send(a, conversationId, bob, clientMsgId)).rejects.toThrow(
      'connection lost after the commit',
    );
    nodeA.reset();
    const retry = await send(a, conversationId, bob, clientMsgId);
    const next = await send(a, conversationId, bob);

    expect(retry).toMatchObject({ seq: 6, duplicate: true });
    expect(next.seq).toBe(7);
    expect(nodeA.counts).toEqual({ conflicts: 0, eventsRead: 1 }); // its own stored message
    await expectGapFreeMessages(conversationId, 7);
  });

  it('a first read that fails halfway resumes where it stopped, without a conflict', async () => {
    const writer = commandsOn(store);
    const { conversationId } = await writer.createConversation(
      { kind: 'group', memberIds: [bob] },
      { actorId: alice },
    );
    // More than one page (1,000 events): sent at once, they share a few appends.
    await Promise.all(Array.from({ length: 1_100 }, () => send(writer, conversationId, bob)));
    const nodeA = instrumented(store);
    const a = commandsOn(nodeA.store);

    nodeA.failReadOnceAfter(1_000);
    await expect(send(a, conversationId, alice)).rejects.toThrow('connection lost during a read');
    expect(nodeA.counts.eventsRead).toBe(1_000);
    nodeA.reset();
    const next = await send(a, conversationId, alice);

    expect(next.seq).toBe(1_101);
    expect(nodeA.counts).toEqual({ conflicts: 0, eventsRead: 101 }); // revisions 1,000 to 1,100
    await expectGapFreeMessages(conversationId, 1_101);
  });

  describe('a processor built directly', () => {
    const folds: Array<{
      name: string;
      fold: StreamFold<ConversationState, ConversationEvent>;
      reads: number;
    }> = [
      // 1 creation + 10 messages cached, then 2 appended elsewhere.
      { name: 'with evolveWithUndo reads the new tail', fold: { evolveWithUndo }, reads: 2 },
      { name: 'with plain evolve reads the whole stream again', fold: { evolve }, reads: 13 },
    ];

    it.each(folds)('$name after a conflict', async ({ fold, reads }) => {
      const writer = commandsOn(store);
      const conversationId = await groupWithMessages(writer, 10);
      const stream = conversationStream(conversationId);
      const nodeA = instrumented(store);
      const processor = conversationProcessor({ ...fold, eventStore: nodeA.store });
      expect(await processor.read(stream, (state) => (state.exists ? state.lastSeq : -1))).toBe(10);
      await send(writer, conversationId, carol);
      await send(writer, conversationId, carol);

      nodeA.reset();
      const command = sendMessageCommand(bob);
      const commit = await processor.execute(stream, (state) => ({
        events: conversationDecider.decide(command, state, { now: new Date() }),
        answer: (written) => written,
      }));

      expect(nodeA.counts).toEqual({ conflicts: 1, eventsRead: reads });
      expect(commit.revision).toBe(13);
      await expectGapFreeMessages(conversationId, 13);
    });
  });
});
