import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import {
  conversationCreated,
  conversationRenamed,
  conversationStream,
  memberRemoved,
  memberRoleChanged,
  membersAdded,
  messageDeleted,
  messageSent,
  reactionAdded,
  readMarkerMoved,
} from '../../projections/testing/chat-events.js';
import { openReadModelFixture, type ReadModelFixture } from '../../projections/testing/read-model-fixture.js';
import type { EngineName } from '../../projections/testing/test-engine.js';
import { receiptsStream } from '../../domain/receipts/receipts.events.js';
import { getConversation, listConversations } from './conversations.query.js';
import type { ConversationView } from './conversation.view.js';

const createdAt = '2025-03-01T09:00:00.000Z';
/**
 * Message times lie in the future, after the store's own timestamps of the
 * non-message events, so the tests decide the order of activity.
 */
const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();

describe.each<EngineName>(['pglite', 'postgres'])('conversation read model on %s', (engineName) => {
  let fixture: ReadModelFixture;
  // Fresh people per case: cases share one database.
  let alice: string;
  let bob: string;
  let carol: string;

  beforeAll(async () => {
    fixture = await openReadModelFixture(engineName, 'conversations');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  function people() {
    alice = randomUUID();
    bob = randomUUID();
    carol = randomUUID();
  }

  async function createGroup(title: string | null = 'Team'): Promise<string> {
    const conversationId = randomUUID();
    await fixture.append(conversationStream(conversationId), [
      conversationCreated({ conversationId, owner: alice, others: [bob, carol], at: createdAt, title }),
    ]);
    return conversationId;
  }

  describe('getConversation', () => {
    it('shows a new group with its members in join order, the owner first, and nothing sent yet', async () => {
      people();
      const id = await createGroup();
      expect(await getConversation(fixture.db, bob, id)).toEqual({
        id,
        kind: 'group',
        title: 'Team',
        members: [
          { userId: alice, role: 'owner', joinedAt: createdAt },
          { userId: bob, role: 'member', joinedAt: createdAt },
          { userId: carol, role: 'member', joinedAt: createdAt },
        ],
        createdAt,
        lastSeq: 0,
        lastRev: 0,
        lastMessage: null,
        readSeq: 0,
        unreadCount: 0,
        readMarkers: [
          { userId: alice, seq: 0 },
          { userId: bob, seq: 0 },
          { userId: carol, seq: 0 },
        ],
      });
    });

    it('moves lastRev with every event of the stream, lastSeq with messages, and shows the newest message', async () => {
      people();
      const id = await createGroup();
      const first = messageSent({ seq: 1, senderId: alice, sentAt: at(1) });
      const second = messageSent({
        seq: 2,
        senderId: bob,
        sentAt: at(2),
        body: 'hello',
        attachments: ['key-1'],
      });
      await fixture.append(conversationStream(id), [
        first, // rev 1
        conversationRenamed('Renamed', alice, at(1)), // rev 2
        second, // rev 3
        memberRoleChanged(bob, 'admin', alice, at(3)), // rev 4
        reactionAdded(second, '👍', carol, at(4)), // rev 5
      ]);
      const view = await getConversation(fixture.db, carol, id);
      expect(view).toMatchObject({ title: 'Renamed', lastRev: 5, lastSeq: 2, readSeq: 0, unreadCount: 2 });
      expect(view?.members.map((member) => [member.userId, member.role])).toEqual([
        [alice, 'owner'],
        [bob, 'admin'],
        [carol, 'member'],
      ]);
      expect(view?.lastMessage).toEqual({
        id: second.data.messageId,
        conversationId: id,
        seq: 2,
        senderId: bob,
        clientMsgId: second.data.clientMsgId,
        body: 'hello',
        attachments: [{ key: 'key-1' }],
        replyTo: null,
        reactions: { '👍': [carol] },
        createdAt: at(2),
        editedAt: null,
        deleted: false,
      });
    });

    it("counts a member's own messages as read, and moves read markers only forward", async () => {
      people();
      const id = await createGroup();
      await fixture.append(conversationStream(id), [
        messageSent({ seq: 1, senderId: alice, sentAt: at(1) }),
        messageSent({ seq: 2, senderId: alice, sentAt: at(2) }),
        messageSent({ seq: 3, senderId: bob, sentAt: at(3) }),
      ]);
      const unread = async (userId: string) => {
        const view = await getConversation(fixture.db, userId, id);
        return [view?.readSeq, view?.unreadCount];
      };
      expect(await unread(alice)).toEqual([2, 1]);
      expect(await unread(bob)).toEqual([3, 0]);
      expect(await unread(carol)).toEqual([0, 3]);

      await fixture.append(receiptsStream(id), [readMarkerMoved(id, carol, 2, at(4))]);
      expect(await unread(carol)).toEqual([2, 1]);
      await fixture.append(receiptsStream(id), [
        readMarkerMoved(id, carol, 1, at(5)),
        readMarkerMoved(id, alice, 3, at(5)),
      ]);
      expect(await unread(carol)).toEqual([2, 1]);
      expect(await unread(alice)).toEqual([3, 0]);
      expect((await getConversation(fixture.db, bob, id))?.readMarkers).toEqual([
        { userId: alice, seq: 3 },
        { userId: bob, seq: 3 },
        { userId: carol, seq: 2 },
      ]);
    });

    it('forgets a member who left, and a member who comes back starts again from nothing', async () => {
      people();
      const id = await createGroup();
      await fixture.append(conversationStream(id), [
        messageSent({ seq: 1, senderId: alice, sentAt: at(1) }),
        messageSent({ seq: 2, senderId: carol, sentAt: at(2) }),
      ]);
      await fixture.append(receiptsStream(id), [readMarkerMoved(id, carol, 2, at(3))]);
      await fixture.append(conversationStream(id), [memberRemoved(carol, carol, at(4))]);

      expect(await getConversation(fixture.db, carol, id)).toBeNull();
      expect((await listConversations(fixture.db, carol, { limit: 10 })).items).toEqual([]);
      const withoutCarol = await getConversation(fixture.db, alice, id);
      expect(withoutCarol?.members.map((member) => member.userId)).toEqual([alice, bob]);
      expect(withoutCarol?.readMarkers.map((marker) => marker.userId)).toEqual([alice, bob]);
      expect(withoutCarol?.lastRev).toBe(3);

      await fixture.append(conversationStream(id), [membersAdded([carol], alice, at(5))]);
      const back = await getConversation(fixture.db, carol, id);
      expect(back?.members.at(-1)).toEqual({ userId: carol, role: 'member', joinedAt: at(5) });
      expect(back).toMatchObject({ lastRev: 4, lastSeq: 2, readSeq: 0, unreadCount: 2 });
    });

    it('shows a deleted newest message as a tombstone', async () => {
      people();
      const id = await createGroup();
      const message = messageSent({ seq: 1, senderId: bob, sentAt: at(1), attachments: ['k'] });
      await fixture.append(conversationStream(id), [
        message,
        reactionAdded(message, '🎉', alice, at(2)),
        messageDeleted(message, bob, at(3)),
      ]);
      const view = await getConversation(fixture.db, alice, id);
      expect(view).toMatchObject({ lastSeq: 1, lastRev: 3, unreadCount: 1 });
      expect(view?.lastMessage).toMatchObject({
        id: message.data.messageId,
        seq: 1,
        body: null,
        attachments: [],
        reactions: {},
        deleted: true,
      });
    });

    it('answers null to a non-member, for an unknown conversation and for an id that is no uuid', async () => {
      people();
      const id = await createGroup();
      expect(await getConversation(fixture.db, randomUUID(), id)).toBeNull();
      expect(await getConversation(fixture.db, alice, randomUUID())).toBeNull();
      expect(await getConversation(fixture.db, alice, 'not-a-uuid')).toBeNull();
    });
  });

  describe('listConversations', () => {
    it('lists the most recently active first, in pages whose cursor is stable when activity ties', async () => {
      people();
      const member = randomUUID();
      const ids: Record<string, string> = {};
      for (const name of ['quiet', 'early', 'middle', 'tiedOne', 'tiedTwo']) {
        const conversationId = randomUUID();
        ids[name] = conversationId;
        await fixture.append(conversationStream(conversationId), [
          conversationCreated({ conversationId, owner: alice, others: [member], at: createdAt, title: name }),
        ]);
      }
      const send = (name: string, minute: number, seq = 1) =>
        fixture.append(conversationStream(ids[name]!), [
          messageSent({ seq, senderId: alice, sentAt: at(minute) }),
        ]);
      await send('early', 1);
      await send('middle', 2);
      await send('tiedOne', 3);
      await send('tiedTwo', 3);
      // The same instant: the id decides, highest first.
      const tied = [ids.tiedOne!, ids.tiedTwo!].sort().reverse();
      const expected = [...tied, ids.middle, ids.early, ids.quiet];

      const seen: ConversationView[] = [];
      let cursor: string | null = null;
      const cursors: (string | null)[] = [];
      do {
        const page = await listConversations(fixture.db, member, { limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        cursor = page.nextCursor;
        cursors.push(cursor);
      } while (cursor !== null);
      expect(seen.map((view) => view.id)).toEqual(expected);
      expect(cursors.map((next) => next === null)).toEqual([false, false, true]);
      expect(seen[0]).toMatchObject({ lastSeq: 1, readSeq: 0, unreadCount: 1 });
      expect(seen[0]?.lastMessage?.seq).toBe(1);
      expect(seen.at(-1)).toMatchObject({ title: 'quiet', lastMessage: null, lastSeq: 0 });

      // A conversation that becomes active between two pages moves to the top; the
      // next page neither repeats the tied pair nor shows the moved one twice.
      const firstPage = await listConversations(fixture.db, member, { limit: 2 });
      await send('early', 10, 2);
      const next = await listConversations(fixture.db, member, { limit: 2, cursor: firstPage.nextCursor });
      expect(next.items.map((view) => view.id)).toEqual([ids.middle, ids.quiet]);
      expect((await listConversations(fixture.db, member, { limit: 1 })).items[0]?.id).toBe(ids.early);
    });

    it('is empty for someone in no conversation', async () => {
      expect(await listConversations(fixture.db, randomUUID(), { limit: 20 })).toEqual({
        items: [],
        nextCursor: null,
      });
    });

    it('refuses a cursor it did not make, and a limit out of range', async () => {
      const reject = (cursor: string) =>
        expect(listConversations(fixture.db, randomUUID(), { limit: 5, cursor })).rejects.toMatchObject({
          constructor: ValidationError,
          field: 'cursor',
        });
      await reject('not a cursor!');
      await reject('');
      await reject(Buffer.from('{"t":1}').toString('base64url'));
      await reject(Buffer.from(JSON.stringify(['12', 'not-a-uuid'])).toString('base64url'));
      await expect(listConversations(fixture.db, randomUUID(), { limit: 0 })).rejects.toMatchObject({
        field: 'limit',
      });
    });
  });
});
