import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnreadChange, UnreadCounters } from './unread-counters.js';

/**
 * The contract every `UnreadCounters` engine keeps (see the port's TSDoc). `open`
 * gives a fresh, empty sink each call.
 */
export function unreadCountersConformance(engineName: string, open: () => Promise<UnreadCounters>): void {
  describe(`unread counters: ${engineName}`, () => {
    let counters: UnreadCounters;
    const opened: UnreadCounters[] = [];
    const openCounters = async () => {
      const fresh = await open();
      opened.push(fresh);
      return fresh;
    };

    beforeAll(async () => {
      counters = await openCounters();
    });
    afterAll(async () => {
      for (const sink of opened) await sink.clear();
      await Promise.all(opened.map((sink) => sink.close()));
    });

    /** A conversation created by `owner` with `others`, at conversation revision 0. */
    function created(conversationId: string, members: string[]): UnreadChange {
      return { conversationId, stream: 'conversation', revision: 0, created: true, joined: members };
    }
    function sent(conversationId: string, revision: number, seq: number, senderId: string): UnreadChange {
      return {
        conversationId,
        stream: 'conversation',
        revision,
        lastSeq: seq,
        read: { userId: senderId, seq },
      };
    }
    function read(conversationId: string, revision: number, userId: string, seq: number): UnreadChange {
      return { conversationId, stream: 'receipts', revision, read: { userId, seq } };
    }

    it('counts the messages after a member’s read seq, and none of their own', async () => {
      const [conversation, alice, bob] = [randomUUID(), randomUUID(), randomUUID()];
      await counters.apply(
        [
          created(conversation, [alice, bob]),
          sent(conversation, 1, 1, alice),
          sent(conversation, 2, 2, alice),
          sent(conversation, 3, 3, bob),
        ],
        10n,
      );
      await expect(counters.readState(alice, conversation)).resolves.toEqual({
        lastSeq: 3,
        readSeq: 2,
        unreadCount: 1,
      });
      await expect(counters.readState(bob, conversation)).resolves.toEqual({
        lastSeq: 3,
        readSeq: 3,
        unreadCount: 0,
      });
    });

    it('knows nothing of someone who is not a member, nor of an unknown conversation', async () => {
      const [conversation, alice] = [randomUUID(), randomUUID()];
      await counters.apply([created(conversation, [alice]), sent(conversation, 1, 1, alice)], 11n);
      await expect(counters.readState(randomUUID(), conversation)).resolves.toBeNull();
      await expect(counters.readState(alice, randomUUID())).resolves.toBeNull();
    });

    it('moves read markers only forward, and only for members', async () => {
      const [conversation, alice, bob, stranger] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await counters.apply(
        [
          created(conversation, [alice, bob]),
          ...[1, 2, 3, 4].map((seq) => sent(conversation, seq, seq, alice)),
          read(conversation, 0, bob, 3),
          read(conversation, 1, bob, 1),
          read(conversation, 2, stranger, 4),
        ],
        12n,
      );
      await expect(counters.readState(bob, conversation)).resolves.toMatchObject({
        readSeq: 3,
        unreadCount: 1,
      });
      await expect(counters.readState(stranger, conversation)).resolves.toBeNull();
    });

    it('drops a member who leaves, and starts one who joins again from nothing', async () => {
      const [conversation, alice, bob] = [randomUUID(), randomUUID(), randomUUID()];
      await counters.apply(
        [
          created(conversation, [alice, bob]),
          sent(conversation, 1, 1, alice),
          sent(conversation, 2, 2, bob),
          { conversationId: conversation, stream: 'conversation', revision: 3, left: [bob] },
        ],
        13n,
      );
      await expect(counters.readState(bob, conversation)).resolves.toBeNull();
      // A marker of someone who left is not kept for later.
      await counters.apply([read(conversation, 0, bob, 2)], 14n);
      await counters.apply(
        [{ conversationId: conversation, stream: 'conversation', revision: 4, joined: [bob] }],
        15n,
      );
      await expect(counters.readState(bob, conversation)).resolves.toEqual({
        lastSeq: 2,
        readSeq: 0,
        unreadCount: 2,
      });
    });

    it('ignores a change at or below the revision already applied for its stream', async () => {
      const [conversation, alice, bob] = [randomUUID(), randomUUID(), randomUUID()];
      const history: UnreadChange[] = [
        created(conversation, [alice, bob]),
        sent(conversation, 1, 1, alice),
        read(conversation, 0, bob, 1),
        { conversationId: conversation, stream: 'conversation', revision: 2, left: [bob] },
        { conversationId: conversation, stream: 'conversation', revision: 3, joined: [bob] },
        sent(conversation, 4, 2, alice),
      ];
      await counters.apply(history, 16n);
      const before = await counters.readState(bob, conversation);
      expect(before).toEqual({ lastSeq: 2, readSeq: 0, unreadCount: 2 });
      // Everything again, then backwards: the join does not reset, the old marker does not move.
      await counters.apply(history, 16n);
      await counters.apply([...history].reverse(), 16n);
      await expect(counters.readState(bob, conversation)).resolves.toEqual(before);
      // The receipts stream has a guard of its own: its next revision applies.
      await counters.apply([read(conversation, 1, bob, 2)], 17n);
      await expect(counters.readState(bob, conversation)).resolves.toMatchObject({ unreadCount: 0 });
    });

    it('keeps lastSeq from falling', async () => {
      const [conversation, alice] = [randomUUID(), randomUUID()];
      await counters.apply(
        [
          created(conversation, [alice]),
          { conversationId: conversation, stream: 'conversation', revision: 1, lastSeq: 5 },
          { conversationId: conversation, stream: 'conversation', revision: 2, lastSeq: 3 },
        ],
        18n,
      );
      await expect(counters.readState(alice, conversation)).resolves.toMatchObject({ lastSeq: 5 });
    });

    it('starts at checkpoint 0 and moves it only forward', async () => {
      const fresh = await openCounters();
      await expect(fresh.checkpoint()).resolves.toBe(0n);
      await fresh.apply([], 41n);
      await fresh.apply([], 7n);
      await expect(fresh.checkpoint()).resolves.toBe(41n);
      await fresh.apply([], 9_007_199_254_740n);
      await expect(fresh.checkpoint()).resolves.toBe(9_007_199_254_740n);
    });

    it('clear drops every counter and the checkpoint', async () => {
      const fresh = await openCounters();
      const [conversation, alice] = [randomUUID(), randomUUID()];
      await fresh.apply([created(conversation, [alice]), sent(conversation, 1, 1, alice)], 5n);
      await fresh.clear();
      await expect(fresh.checkpoint()).resolves.toBe(0n);
      await expect(fresh.readState(alice, conversation)).resolves.toBeNull();
      // Cleared means the guards are gone too: the same history applies again.
      await fresh.apply([created(conversation, [alice]), sent(conversation, 1, 1, alice)], 5n);
      await expect(fresh.readState(alice, conversation)).resolves.toMatchObject({ lastSeq: 1 });
    });
  });
}
