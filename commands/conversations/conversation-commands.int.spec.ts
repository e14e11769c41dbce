import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { openPostgresEventStore } from '../../infra/eventstore/open-event-store.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { ConversationCommands, conversationStream, type UserDirectory } from './conversation-commands.js';

/** Every id is a registered user here: these tests are about streams, not accounts. */
const everyoneExists: UserDirectory = { existingUserIds: async (ids) => new Set(ids) };

describe('conversation commands on a real event store', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;
  let commands: ConversationCommands;
  const alice = randomUUID();
  const bob = randomUUID();
  const carol = randomUUID();

  const node = () =>
    new ConversationCommands({
      eventStore: store,
      users: everyoneExists,
      clock: () => new Date(),
      newId: randomUUID,
    });

  beforeAll(async () => {
    database = await createTestDatabase('commands');
    store = await openPostgresEventStore(database.url);
    commands = node();
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  async function group(): Promise<string> {
    const { conversationId } = await commands.createConversation(
      { kind: 'group', memberIds: [bob, carol], title: 'team' },
      { actorId: alice },
    );
    return conversationId;
  }

  it('60 concurrent sends to one conversation get 60 consecutive seqs, in few appends', async () => {
    const conversationId = await group();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        commands.sendMessage(
          conversationId,
          { clientMsgId: randomUUID(), body: `m${index}` },
          { actorId: bob },
        ),
      ),
    );
    expect(results.map((result) => result.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, index) => index + 1),
    );
    const stream = await store.readStream(conversationStream(conversationId));
    expect(stream.filter((event) => event.type === 'MessageSent')).toHaveLength(60);
    // Group commit: the 60 sends shared appends (global positions show how many batches there were).
    expect(new Set(results.map((result) => result.position)).size).toBeLessThan(60);
  });

  it('a retry with the same clientMsgId returns the original and writes nothing', async () => {
    const conversationId = await group();
    const clientMsgId = randomUUID();
    const first = await commands.sendMessage(
      conversationId,
      { clientMsgId, body: 'hello' },
      { actorId: alice },
    );
    const retries = await Promise.all(
      Array.from({ length: 5 }, () =>
        commands.sendMessage(conversationId, { clientMsgId, body: 'hello' }, { actorId: alice }),
      ),
    );
    for (const retry of retries)
      expect(retry).toMatchObject({ messageId: first.messageId, seq: first.seq, duplicate: true });
    // A fresh node (cold cache, e.g. after a restart) still knows the key.
    const again = await node().sendMessage(
      conversationId,
      { clientMsgId, body: 'hello' },
      { actorId: alice },
    );
    expect(again).toMatchObject({ messageId: first.messageId, seq: first.seq, duplicate: true });
    const stream = await store.readStream(conversationStream(conversationId));
    expect(stream.filter((event) => event.type === 'MessageSent')).toHaveLength(1);
  });

  it('two nodes sending to one conversation never share a seq (conflicts are retried inside)', async () => {
    const conversationId = await group();
    const [nodeA, nodeB] = [node(), node()];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 ? nodeA : nodeB).sendMessage(
          conversationId,
          { clientMsgId: randomUUID(), body: `x${index}` },
          { actorId: carol },
        ),
      ),
    );
    expect(results.map((result) => result.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, index) => index + 1),
    );
  });

  it('a direct conversation is unique per pair, even when both create it at once', async () => {
    const dave = randomUUID();
    const erin = randomUUID();
    const [one, two] = await Promise.all([
      node().createConversation({ kind: 'direct', memberIds: [erin] }, { actorId: dave }),
      node().createConversation({ kind: 'direct', memberIds: [dave] }, { actorId: erin }),
    ]);
    expect(one.conversationId).toBe(two.conversationId);
    expect([one.created, two.created].sort()).toEqual([false, true]);
    const stream = await store.readStream(conversationStream(one.conversationId));
    expect(stream.filter((event) => event.type === 'ConversationCreated')).toHaveLength(1);
  });

  it('a group created twice is not merged: each creation is its own conversation', async () => {
    const [a, b] = await Promise.all([group(), group()]);
    expect(a).not.toBe(b);
  });

  it('non-members get not_found and write nothing', async () => {
    const conversationId = await group();
    const stranger = randomUUID();
    await expect(
      commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body: 'hi' }, { actorId: stranger }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(commands.markRead(conversationId, 1, { actorId: stranger })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await store.readStream(conversationStream(conversationId))).toHaveLength(1);
  });

  it('read markers go to the receipts stream, forward only', async () => {
    const conversationId = await group();
    for (const body of ['a', 'b', 'c']) {
      await commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body }, { actorId: alice });
    }
    await commands.markRead(conversationId, 2, { actorId: bob });
    await commands.markRead(conversationId, 1, { actorId: bob });
    await commands.markRead(conversationId, 99, { actorId: bob });
    const receipts = await store.readStream(`receipts-${conversationId}`);
    expect(receipts.map((event) => (event.data as { seq: number }).seq)).toEqual([2, 3]);
    expect(
      (await store.readStream(conversationStream(conversationId))).some(
        (event) => event.type === 'ReadMarkerMoved',
      ),
    ).toBe(false);
  });

  it('a read marker sees messages another node sent after this node cached the conversation', async () => {
    const conversationId = await group();
    await commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body: 'a' }, { actorId: alice });
    await commands.markRead(conversationId, 1, { actorId: bob }); // this node now caches lastSeq 1
    const otherNode = node();
    for (const body of ['b', 'c']) {
      await otherNode.sendMessage(conversationId, { clientMsgId: randomUUID(), body }, { actorId: alice });
    }
    await commands.markRead(conversationId, 3, { actorId: bob });
    const receipts = await store.readStream(`receipts-${conversationId}`);
    expect(receipts.map((event) => (event.data as { seq: number }).seq)).toEqual([1, 3]);
  });

  it('a member who left and came back can mark read below their old marker', async () => {
    const conversationId = await group();
    for (const body of ['a', 'b', 'c']) {
      await commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body }, { actorId: alice });
    }
    await commands.markRead(conversationId, 3, { actorId: bob });
    await commands.removeMember(conversationId, bob, { actorId: bob });
    await commands.addMembers(conversationId, [bob], { actorId: alice });
    await commands.markRead(conversationId, 2, { actorId: bob });
    const receipts = await store.readStream(`receipts-${conversationId}`);
    expect(receipts.map((event) => (event.data as { seq: number }).seq)).toEqual([3, 2]);
  });

  it('rejects a command that breaks a rule without touching the batch around it', async () => {
    const conversationId = await group();
    const outcomes = await Promise.allSettled([
      commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body: 'ok 1' }, { actorId: alice }),
      commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body: '   ' }, { actorId: alice }),
      commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body: 'ok 2' }, { actorId: alice }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const seqs = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.seq] : []));
    expect(seqs).toEqual([1, 2]);
  });

  it('editing someone else’s message is refused', async () => {
    const conversationId = await group();
    const sent = await commands.sendMessage(
      conversationId,
      { clientMsgId: randomUUID(), body: 'mine' },
      { actorId: alice },
    );
    await expect(
      commands.editMessage(conversationId, sent.messageId, 'theirs', { actorId: bob }),
    ).rejects.toThrow();
    await expect(
      commands.editMessage(conversationId, randomUUID(), 'x', { actorId: alice }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      commands.createConversation({ kind: 'direct', memberIds: [bob, carol] }, { actorId: alice }),
    ).rejects.not.toBeInstanceOf(ConflictError);
  });
});
