/**
 * The stream processor's bookkeeping, on a real PostgreSQL event store: the
 * revisions a batch answers, what a command that writes nothing answers, how many
 * conflicts are retried, which streams stay cached, and what a fold or encode that
 * throws leaves behind. Another node is a second set of commands on the same store.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { conversationDecider } from '../../domain/conversation/conversation.decider.js';
import type { ConversationEvent } from '../../domain/conversation/conversation.events.js';
import { evolveWithUndo, type ConversationState } from '../../domain/conversation/conversation.state.js';
import { WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { conversationStream, type ConversationCommands } from '../conversations/conversation-commands.js';
import { encodeEvent } from './event-codec.js';
import type { Commit, StreamProcessor, StreamProcessorOptions } from './stream-processor.js';
import {
  commandsOn,
  conversationProcessor,
  interceptEventStore,
  openTestEventStore,
  sendMessageCommand,
  type TestEventStore,
} from './testing/stream-processor-kit.js';

const [alice, bob] = [randomUUID(), randomUUID()];

describe('stream processor bookkeeping', () => {
  let opened: TestEventStore | undefined;
  let store: EventStore;
  /** Another node writing to the same store. */
  let otherNode: ConversationCommands;

  beforeAll(async () => {
    opened = await openTestEventStore('stream_processor_batches');
    store = opened.store;
    otherNode = commandsOn(store);
  });
  afterAll(() => opened?.close());

  /**
   * The store as this node sees it: counts reads, and can let the other node
   * append to the same stream just before this node's next appends (a conflict each).
   */
  function node(
    options: Pick<
      Partial<StreamProcessorOptions<ConversationState, ConversationEvent>>,
      'cacheSize' | 'cacheEntries' | 'maxConflictRetries' | 'encode'
    > & { evolveWithUndo?: typeof evolveWithUndo } = {},
  ) {
    const counts = { reads: 0, eventsRead: 0 };
    let conflictsToCause = 0;
    const seen = interceptEventStore(store, {
      async appendToStream(stream, events, appendOptions) {
        if (conflictsToCause > 0) {
          conflictsToCause -= 1;
          await sendFromOtherNode(stream.slice('conversation-'.length));
        }
        return store.appendToStream(stream, events, appendOptions);
      },
      async readStream(stream, readOptions) {
        counts.reads += 1;
        const events = await store.readStream(stream, readOptions);
        counts.eventsRead += events.length;
        return events;
      },
    });
    const processor = conversationProcessor({
      evolveWithUndo: options.evolveWithUndo ?? evolveWithUndo,
      eventStore: seen,
      encode: options.encode,
      cacheSize: options.cacheSize,
      cacheEntries: options.cacheEntries,
      maxConflictRetries: options.maxConflictRetries,
    });
    return {
      processor,
      counts,
      resetCounts: () => {
        counts.reads = 0;
        counts.eventsRead = 0;
      },
      causeConflicts: (count: number) => {
        conflictsToCause = count;
      },
    };
  }

  const sendFromOtherNode = (conversationId: string) =>
    otherNode.sendMessage(
      conversationId,
      { clientMsgId: randomUUID(), body: 'elsewhere' },
      { actorId: alice },
    );

  async function conversation(messages = 0): Promise<string> {
    const { conversationId } = await otherNode.createConversation(
      { kind: 'group', memberIds: [bob] },
      { actorId: alice },
    );
    await Promise.all(Array.from({ length: messages }, () => sendFromOtherNode(conversationId)));
    return conversationId;
  }

  /** A send decided on the processor's state, answering its commit. */
  function send(
    processor: StreamProcessor<ConversationState, ConversationEvent>,
    conversationId: string,
    clientMsgId = randomUUID(),
  ) {
    const command = sendMessageCommand(bob, clientMsgId);
    return processor.execute(conversationStream(conversationId), (state) => ({
      events: conversationDecider.decide(command, state, { now: new Date() }),
      answer: (commit: Commit) => commit,
    }));
  }

  /** A command that writes nothing, answering its commit. */
  const nothing = (
    processor: StreamProcessor<ConversationState, ConversationEvent>,
    conversationId: string,
  ) =>
    processor.execute(conversationStream(conversationId), () => ({
      events: [],
      answer: (commit: Commit) => commit,
    }));

  /**
   * An answer settles before its batch's run ends (and the run takes any command
   * that came meanwhile): waiting a turn lets the run end, and evict what it must.
   */
  const runEnded = () => new Promise((resolve) => setImmediate(resolve));

  /** A command that writes nothing on each stream in turn, each run ending (and evicting) before the next. */
  async function useInTurn(
    processor: StreamProcessor<ConversationState, ConversationEvent>,
    ...conversationIds: string[]
  ) {
    for (const conversationId of conversationIds) {
      await nothing(processor, conversationId);
      await runEnded();
    }
  }

  const storedClientMsgIds = async (conversationId: string) =>
    (await store.readStream(conversationStream(conversationId)))
      .filter((event) => event.type === 'MessageSent')
      .map((event) => (event.data as { clientMsgId: string }).clientMsgId);

  it('answers each command of a batch the revision of its own last event, and one position', async () => {
    const conversationId = await conversation();
    const { processor } = node();
    // The first send starts a batch alone; the three that arrive meanwhile share the next.
    const commits = await Promise.all([1, 2, 3, 4].map(() => send(processor, conversationId)));

    expect(commits.map((commit) => commit.revision)).toEqual([1, 2, 3, 4]);
    const stored = await store.readStream(conversationStream(conversationId));
    expect(commits.map((commit) => commit.position)).toEqual([1, 4, 4, 4].map((r) => stored[r]!.position));
    expect(commits.map((commit) => commit.streamPosition)).toEqual(commits.map((commit) => commit.position));
  });

  it('a command that writes nothing answers position 0n and the cached revision and position', async () => {
    const conversationId = await conversation(2);
    const { processor } = node();
    const commit = await nothing(processor, conversationId);

    const stored = await store.readStream(conversationStream(conversationId));
    expect(stored).toHaveLength(3);
    expect(commit).toEqual({ position: 0n, revision: 2, streamPosition: stored[2]!.position });
  });

  it('retries up to maxConflictRetries conflicts, and stores the command once', async () => {
    const conversationId = await conversation();
    const { processor, causeConflicts } = node({ maxConflictRetries: 2 });
    await nothing(processor, conversationId); // cached at revision 0

    causeConflicts(2);
    const clientMsgId = randomUUID();
    const commit = await send(processor, conversationId, clientMsgId);

    expect(commit.revision).toBe(3); // after the other node's two messages
    expect(await storedClientMsgIds(conversationId)).toContain(clientMsgId);
  });

  it('rejects a command past maxConflictRetries conflicts, and never stores it later', async () => {
    const conversationId = await conversation();
    const { processor, causeConflicts } = node({ maxConflictRetries: 2 });
    await nothing(processor, conversationId);

    causeConflicts(3);
    const clientMsgId = randomUUID();
    await expect(send(processor, conversationId, clientMsgId)).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    // Anything still queued for that stream runs before this one.
    const after = await send(processor, conversationId);

    expect(after.revision).toBe(4);
    expect(await storedClientMsgIds(conversationId)).not.toContain(clientMsgId);
  });

  it('keeps the cacheSize most recently used streams and reads an evicted one again', async () => {
    const [a, b, c] = [await conversation(1), await conversation(1), await conversation(1)];
    const { processor, counts, resetCounts } = node({ cacheSize: 2 });
    await useInTurn(processor, a, b, c);

    resetCounts();
    await nothing(processor, b);
    expect(counts.eventsRead).toBe(0); // b and c stayed cached
    await nothing(processor, a);
    expect(counts.eventsRead).toBe(2); // a was evicted: its two events are read again
  });

  it('keeps the cached states within cacheEntries, least recently used out first', async () => {
    // Each weighs 8 (the conversation, its 2 members and 5 messages): two fit exactly.
    const [a, b, c] = [await conversation(5), await conversation(5), await conversation(5)];
    const { processor, counts, resetCounts } = node({ cacheEntries: 16 });
    await useInTurn(processor, a, b, a, c);

    resetCounts();
    await useInTurn(processor, a, c);
    expect(counts.eventsRead).toBe(0);
    await nothing(processor, b);
    expect(counts.eventsRead).toBe(6); // 24 entries were too many: b, used least recently, went
  });

  it('keeps a stream heavier than cacheEntries while it is the one in use', async () => {
    const [heavy, light] = [await conversation(30), await conversation(1)];
    const { processor, counts, resetCounts } = node({ cacheEntries: 20 });
    await useInTurn(processor, heavy);

    resetCounts();
    await send(processor, heavy);
    await runEnded();
    await nothing(processor, heavy);
    expect(counts.eventsRead).toBe(0);

    await runEnded();
    await useInTurn(processor, light); // the heavy one is idle and over budget now
    resetCounts();
    await nothing(processor, heavy);
    expect(counts.eventsRead).toBe(32);
  });

  it('never evicts a stream with a batch under way', async () => {
    const [a, b] = [await conversation(1), await conversation(1)];
    const { processor, counts, resetCounts } = node({ cacheSize: 1 });
    await nothing(processor, a);

    const sending = send(processor, a); // a is running while b is asked for
    await nothing(processor, b);
    await sending;
    resetCounts();
    const commit = await nothing(processor, a);

    expect(counts.eventsRead).toBe(0);
    expect(commit.revision).toBe(2);
  });

  it('an encode that throws rejects the batch and leaves the cached state as it was, with no read', async () => {
    const conversationId = await conversation(1);
    const encode = encodeEvent(randomUUID);
    const { processor, counts, resetCounts } = node({
      encode: (event, metadata) => {
        if (metadata.broken) throw new Error('cannot encode');
        return encode(event, metadata);
      },
    });
    await nothing(processor, conversationId);

    const command = sendMessageCommand(bob);
    const broken = processor.execute(
      conversationStream(conversationId),
      (state) => ({
        events: conversationDecider.decide(command, state, { now: new Date() }),
        answer: () => 'stored',
      }),
      { broken: true },
    );
    await expect(broken).rejects.toThrow('cannot encode');
    resetCounts();
    const next = await send(processor, conversationId);

    expect(counts.reads).toBe(0);
    expect(next.revision).toBe(2); // the broken message's seq was given back
    expect(await storedClientMsgIds(conversationId)).toHaveLength(2);
  });

  it('a fold that throws while reading fails the command, and the next one reads the stream afresh', async () => {
    const conversationId = await conversation(2);
    let failOnce = true;
    const { processor, counts } = node({
      evolveWithUndo: (state, event, undo) => {
        if (event.type === 'MessageSent' && failOnce) {
          failOnce = false;
          throw new Error('cannot fold');
        }
        return evolveWithUndo(state, event, undo);
      },
    });

    await expect(nothing(processor, conversationId)).rejects.toThrow('cannot fold');
    const commit = await nothing(processor, conversationId);

    expect(commit.revision).toBe(2);
    expect(counts.eventsRead).toBe(3 + 3); // the failed read, then the whole stream again
  });

  it('reads a stream longer than one page to its end', async () => {
    const conversationId = await conversation(1_000); // 1,001 events: a full page and one more
    const { processor } = node();
    const lastSeq = await processor.read(conversationStream(conversationId), (state, revision) => ({
      lastSeq: state.exists ? state.lastSeq : -1,
      revision,
    }));
    expect(lastSeq).toEqual({ lastSeq: 1_000, revision: 1_000 });
  });
});
