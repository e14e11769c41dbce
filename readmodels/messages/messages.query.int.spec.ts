import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageSent } from '../../domain/conversation/conversation.events.js';
import { ValidationError } from '../../domain/errors.js';
import {
  conversationCreated,
  conversationStream,
  messageDeleted,
  messageEdited,
  messageSent,
  reactionAdded,
  reactionRemoved,
} from '../../projections/testing/chat-events.js';
import { openReadModelFixture, type ReadModelFixture } from '../../projections/testing/read-model-fixture.js';
import type { EngineName } from '../../projections/testing/test-engine.js';
import { getMessage, getMessages } from './messages.query.js';

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();

describe.each<EngineName>(['pglite', 'postgres'])('message read model on %s', (engineName) => {
  let fixture: ReadModelFixture;
  const alice = randomUUID();
  const bob = randomUUID();
  const carol = randomUUID();

  beforeAll(async () => {
    fixture = await openReadModelFixture(engineName, 'messages');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /** A new conversation of alice, bob and carol, with `messages` sent in it. */
  async function conversationWith(messages: MessageSent[]): Promise<string> {
    const conversationId = randomUUID();
    await fixture.append(conversationStream(conversationId), [
      conversationCreated({ conversationId, owner: alice, others: [bob, carol], at: at(0) }),
      ...messages,
    ]);
    return conversationId;
  }

  const sent = (seq: number, senderId = alice) => messageSent({ seq, senderId, sentAt: at(seq) });

  describe('one message', () => {
    it('reads back as it was sent', async () => {
      const original = sent(1);
      const reply = messageSent({
        seq: 2,
        senderId: bob,
        sentAt: at(2),
        body: 'see attached',
        attachments: ['uploads/a.png', 'uploads/b.pdf'],
        replyTo: original.data.messageId,
      });
      const id = await conversationWith([original, reply]);
      expect(await getMessage(fixture.db, id, reply.data.messageId)).toEqual({
        id: reply.data.messageId,
        conversationId: id,
        seq: 2,
        senderId: bob,
        clientMsgId: reply.data.clientMsgId,
        body: 'see attached',
        attachments: [{ key: 'uploads/a.png' }, { key: 'uploads/b.pdf' }],
        replyTo: original.data.messageId,
        reactions: {},
        createdAt: at(2),
        editedAt: null,
        deleted: false,
      });
    });

    it('shows the newest edit and when it was made', async () => {
      const message = sent(1);
      const id = await conversationWith([message]);
      await fixture.append(conversationStream(id), [
        messageEdited(message, 'first fix', at(5)),
        messageEdited(message, 'second fix', at(6)),
      ]);
      expect(await getMessage(fixture.db, id, message.data.messageId)).toMatchObject({
        body: 'second fix',
        editedAt: at(6),
        createdAt: at(1),
        deleted: false,
      });
    });

    it('groups reactions by emoji, oldest first, and drops the removed ones', async () => {
      const message = sent(1);
      const id = await conversationWith([message]);
      await fixture.append(conversationStream(id), [
        reactionAdded(message, '👍', bob, at(2)),
        reactionAdded(message, '🎉', alice, at(3)),
        reactionAdded(message, '👍', carol, at(4)),
        reactionAdded(message, '👀', carol, at(5)),
        reactionRemoved(message, '👀', carol, at(6)),
        reactionRemoved(message, '👍', bob, at(7)),
        reactionAdded(message, '👍', bob, at(8)),
      ]);
      const reactions = (await getMessage(fixture.db, id, message.data.messageId))?.reactions;
      expect(reactions).toEqual({ '👍': [carol, bob], '🎉': [alice] });
      expect(Object.keys(reactions ?? {})).toEqual(['🎉', '👍']);
    });

    it('is a tombstone once deleted: seq kept, no body, attachments or reactions', async () => {
      const message = messageSent({ seq: 1, senderId: bob, sentAt: at(1), attachments: ['k'] });
      const id = await conversationWith([message, sent(2)]);
      await fixture.append(conversationStream(id), [
        reactionAdded(message, '👍', alice, at(3)),
        messageEdited(message, 'edited', at(4)),
        messageDeleted(message, bob, at(5)),
      ]);
      const tombstone = {
        id: message.data.messageId,
        conversationId: id,
        seq: 1,
        senderId: bob,
        clientMsgId: message.data.clientMsgId,
        body: null,
        attachments: [],
        replyTo: null,
        reactions: {},
        createdAt: at(1),
        editedAt: at(4),
        deleted: true,
      };
      expect(await getMessage(fixture.db, id, message.data.messageId)).toEqual(tombstone);
      const page = await getMessages(fixture.db, id, { limit: 10 });
      expect(page.items.map((item) => item.seq)).toEqual([1, 2]);
      expect(page.items[0]).toEqual(tombstone);
    });

    it('is null in another conversation, for an unknown id and for an id that is no uuid', async () => {
      const message = sent(1);
      const id = await conversationWith([message]);
      const other = await conversationWith([]);
      expect(await getMessage(fixture.db, other, message.data.messageId)).toBeNull();
      expect(await getMessage(fixture.db, id, randomUUID())).toBeNull();
      expect(await getMessage(fixture.db, id, 'nope')).toBeNull();
    });
  });

  describe('pages', () => {
    let id: string;
    const seqs = async (options: Parameters<typeof getMessages>[2]) => {
      const page = await getMessages(fixture.db, id, options);
      return { seqs: page.items.map((item) => item.seq), hasMore: page.hasMore };
    };

    beforeAll(async () => {
      id = await conversationWith([1, 2, 3, 4, 5, 6, 7].map((seq) => sent(seq, seq % 2 ? alice : bob)));
    });

    it('without a position: the newest page, ascending, and whether older ones exist', async () => {
      expect(await seqs({ limit: 3 })).toEqual({ seqs: [5, 6, 7], hasMore: true });
      expect(await seqs({ limit: 7 })).toEqual({ seqs: [1, 2, 3, 4, 5, 6, 7], hasMore: false });
    });

    it('backwards with beforeSeq, until the first message', async () => {
      expect(await seqs({ beforeSeq: 5, limit: 3 })).toEqual({ seqs: [2, 3, 4], hasMore: true });
      expect(await seqs({ beforeSeq: 2, limit: 3 })).toEqual({ seqs: [1], hasMore: false });
      expect(await seqs({ beforeSeq: 1, limit: 3 })).toEqual({ seqs: [], hasMore: false });
    });

    it('forwards with afterSeq, until the newest message', async () => {
      expect(await seqs({ afterSeq: 0, limit: 3 })).toEqual({ seqs: [1, 2, 3], hasMore: true });
      expect(await seqs({ afterSeq: 3, limit: 3 })).toEqual({ seqs: [4, 5, 6], hasMore: true });
      expect(await seqs({ afterSeq: 4, limit: 3 })).toEqual({ seqs: [5, 6, 7], hasMore: false });
      expect(await seqs({ afterSeq: 7, limit: 3 })).toEqual({ seqs: [], hasMore: false });
    });

    it('forwards within a window when given both', async () => {
      expect(await seqs({ afterSeq: 1, beforeSeq: 6, limit: 2 })).toEqual({ seqs: [2, 3], hasMore: true });
      expect(await seqs({ afterSeq: 3, beforeSeq: 6, limit: 2 })).toEqual({ seqs: [4, 5], hasMore: false });
    });

    it('loads the reactions of every message on the page', async () => {
      const [first, second] = (await getMessages(fixture.db, id, { afterSeq: 0, limit: 2 })).items;
      const unknown = messageSent({ seq: 99, senderId: carol, sentAt: at(9) });
      await fixture.append(conversationStream(id), [
        reactionAdded(unknown, '🙂', carol, at(9)), // to a message this conversation does not have: dropped
        { type: 'ReactionAdded', data: { messageId: first!.id, emoji: '🙂', userId: carol, at: at(9) } },
        { type: 'ReactionAdded', data: { messageId: second!.id, emoji: '🙃', userId: alice, at: at(9) } },
      ]);
      const page = await getMessages(fixture.db, id, { afterSeq: 0, limit: 3 });
      expect(page.items.map((item) => item.reactions)).toEqual([{ '🙂': [carol] }, { '🙃': [alice] }, {}]);
    });

    it('refuses a limit out of range and a negative seq, and is empty for an unknown conversation', async () => {
      await expect(getMessages(fixture.db, id, { limit: 0 })).rejects.toThrow(ValidationError);
      await expect(getMessages(fixture.db, id, { limit: 201 })).rejects.toMatchObject({ field: 'limit' });
      await expect(getMessages(fixture.db, id, { limit: 5, beforeSeq: -1 })).rejects.toMatchObject({
        field: 'beforeSeq',
      });
      await expect(getMessages(fixture.db, id, { limit: 5, afterSeq: 1.5 })).rejects.toMatchObject({
        field: 'afterSeq',
      });
      expect(await getMessages(fixture.db, randomUUID(), { limit: 5 })).toEqual({
        items: [],
        hasMore: false,
      });
      expect(await getMessages(fixture.db, 'nope', { limit: 5 })).toEqual({ items: [], hasMore: false });
    });
  });
});
