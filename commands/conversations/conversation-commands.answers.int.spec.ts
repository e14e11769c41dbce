/**
 * What the conversation commands answer and store: the users they refuse, the
 * direct conversation's derived id, and the position every write answers (the
 * global position of the event it stored), checked against the real stream.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { openPostgresEventStore } from '../../infra/eventstore/open-event-store.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import {
  ConversationCommands,
  conversationStream,
  directConversationId,
  type UserDirectory,
} from './conversation-commands.js';

describe('conversation commands: answers and refusals', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;
  const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
  const [ghost, phantom] = [randomUUID(), randomUUID()];
  /** Ids the next `newId` calls return, so a test can make a group id collide. */
  const nextIds: string[] = [];
  let commands: ConversationCommands;

  /** Only the users created here exist: `ghost` (and the actor, never asked about) do not. */
  const registered = new Set<string>([bob, carol]);
  const users: UserDirectory = {
    existingUserIds: async (ids) => new Set(ids.filter((id) => registered.has(id))),
  };

  beforeAll(async () => {
    database = await createTestDatabase('commands_answers');
    store = await openPostgresEventStore(database.url);
    commands = new ConversationCommands({
      eventStore: store,
      users,
      clock: () => new Date(),
      newId: () => nextIds.shift() ?? randomUUID(),
    });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  const events = (conversationId: string) => store.readStream(conversationStream(conversationId));
  const last = async (conversationId: string): Promise<RecordedEvent> =>
    (await events(conversationId)).at(-1)!;

  async function groupWithMessage() {
    const { conversationId } = await commands.createConversation(
      { kind: 'group', memberIds: [bob, carol] },
      { actorId: alice },
    );
    const sent = await commands.sendMessage(
      conversationId,
      { clientMsgId: randomUUID(), body: 'hello' },
      { actorId: alice },
    );
    return { conversationId, sent };
  }

  it('refuses unknown members by name, on creation and on addition, and writes nothing', async () => {
    const creation = commands.createConversation(
      { kind: 'group', memberIds: [bob, ghost, phantom] },
      { actorId: alice },
    );
    await expect(creation).rejects.toThrow(
      new ValidationError(`unknown users: ${ghost}, ${phantom}`, 'memberIds'),
    );

    const { conversationId } = await groupWithMessage();
    const addition = commands.addMembers(conversationId, [ghost, bob, phantom], { actorId: alice });
    await expect(addition).rejects.toThrow(
      new ValidationError(`unknown users: ${ghost}, ${phantom}`, 'userIds'),
    );
    expect(await events(conversationId)).toHaveLength(2);
  });

  it('leaves the actor out of the members it checks and stores, and keeps the title', async () => {
    // The directory does not know alice: she must not be looked up as a member.
    const created = await commands.createConversation(
      { kind: 'group', memberIds: [alice, bob], title: 'team' },
      { actorId: alice },
    );
    const [creation] = await events(created.conversationId);
    expect(creation!.data).toMatchObject({ kind: 'group', title: 'team' });
    expect((creation!.data as { members: { userId: string }[] }).members.map((m) => m.userId)).toEqual([
      alice,
      bob,
    ]);
    expect(created).toEqual({
      conversationId: created.conversationId,
      created: true,
      position: creation!.position,
    });
  });

  it('derives a direct conversation id from both ids, in either order and case', async () => {
    expect(directConversationId(alice, bob)).toBe(directConversationId(bob.toUpperCase(), alice));
    expect(directConversationId(alice, bob)).not.toBe(directConversationId(alice, carol));
    const created = await commands.createConversation(
      { kind: 'direct', memberIds: [alice, bob] },
      { actorId: alice },
    );
    expect(created.conversationId).toBe(directConversationId(alice, bob));
  });

  it('creating the same direct again answers the existing one, with its creation position', async () => {
    const first = await commands.createConversation({ kind: 'direct', memberIds: [carol] }, { actorId: bob });
    const again = await commands.createConversation({ kind: 'direct', memberIds: [bob] }, { actorId: carol });
    const [creation] = await events(first.conversationId);
    expect(first).toEqual({
      conversationId: first.conversationId,
      created: true,
      position: creation!.position,
    });
    expect(again).toEqual({
      conversationId: first.conversationId,
      created: false,
      position: creation!.position,
    });
  });

  it('a direct with no other member is refused as invalid', async () => {
    await expect(
      commands.createConversation({ kind: 'direct', memberIds: [alice] }, { actorId: alice }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('groups are never merged: a group with one other member, or a reused id, is its own creation', async () => {
    const one = await commands.createConversation({ kind: 'group', memberIds: [bob] }, { actorId: alice });
    const two = await commands.createConversation({ kind: 'group', memberIds: [bob] }, { actorId: alice });
    expect(two.conversationId).not.toBe(one.conversationId);
    expect(two.created).toBe(true);

    nextIds.push(one.conversationId);
    await expect(
      commands.createConversation({ kind: 'group', memberIds: [bob] }, { actorId: alice }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('a sent message stores no attachments unless given, and is not a duplicate', async () => {
    const { conversationId, sent } = await groupWithMessage();
    const stored = await last(conversationId);
    expect(stored.data).toMatchObject({ messageId: sent.messageId, attachments: [], replyTo: null });
    expect(sent).toMatchObject({ seq: 1, duplicate: false, position: stored.position });
  });

  it('edit, react, unreact, rename and delete store their event and answer its position', async () => {
    const { conversationId, sent } = await groupWithMessage();
    const { messageId } = sent;
    const writes: Array<[() => Promise<{ position: bigint }>, string, Record<string, unknown>]> = [
      [
        () => commands.editMessage(conversationId, messageId, 'edited', { actorId: alice }),
        'MessageEdited',
        { messageId, body: 'edited' },
      ],
      [
        () => commands.react(conversationId, messageId, '👍', true, { actorId: bob }),
        'ReactionAdded',
        { messageId, emoji: '👍', userId: bob },
      ],
      [
        () => commands.react(conversationId, messageId, '👍', false, { actorId: bob }),
        'ReactionRemoved',
        { messageId, emoji: '👍', userId: bob },
      ],
      [
        () => commands.rename(conversationId, 'renamed', { actorId: alice }),
        'ConversationRenamed',
        { title: 'renamed', renamedBy: alice },
      ],
      [
        () => commands.deleteMessage(conversationId, messageId, { actorId: alice }),
        'MessageDeleted',
        { messageId, deletedBy: alice },
      ],
    ];
    for (const [write, type, data] of writes) {
      const answer = await write();
      const stored = await last(conversationId);
      expect(stored).toMatchObject({ type, data });
      expect(answer).toEqual({ position: stored.position });
    }
  });

  it('a read marker answers the position of its receipt; a stranger is told the conversation is not found', async () => {
    const { conversationId } = await groupWithMessage();
    const answer = await commands.markRead(conversationId, 1, { actorId: bob });
    const [receipt] = await store.readStream(`receipts-${conversationId}`);
    expect(answer).toEqual({ position: receipt!.position });
    const refusal = commands.markRead(conversationId, 1, { actorId: ghost });
    await expect(refusal).rejects.toBeInstanceOf(NotFoundError);
    await expect(refusal).rejects.toThrow('conversation not found');
  });
});
