import { describe, expect, it } from 'vitest';
import { MembershipJournal } from './membership-journal.js';

const snapshot = (conversationIds: string[], position: bigint) => ({ conversationIds, position });
const sorted = (ids: readonly string[] | undefined) => [...(ids ?? [])].sort();

describe('MembershipJournal', () => {
  it('brings a lagging snapshot forward with the user’s joins and leaves up to the position, in order', () => {
    const journal = new MembershipJournal(10n);
    journal.record({ userId: 'bob', conversationId: 'a', joined: true, position: 11n });
    journal.record({ userId: 'bob', conversationId: 'b', joined: false, position: 12n });
    journal.record({ userId: 'eve', conversationId: 'c', joined: true, position: 13n });
    journal.record({ userId: 'bob', conversationId: 'a', joined: false, position: 14n });
    journal.record({ userId: 'bob', conversationId: 'a', joined: true, position: 15n });
    journal.record({ userId: 'bob', conversationId: 'd', joined: true, position: 16n });

    const current = journal.bringForward('bob', snapshot(['b', 'x'], 10n), 15n);
    expect(sorted(current?.conversationIds)).toEqual(['a', 'x']);
    expect(current?.position).toBe(15n);
    // What the snapshot already reflects is not applied again.
    expect(sorted(journal.bringForward('bob', snapshot(['x'], 14n), 16n)?.conversationIds)).toEqual([
      'a',
      'd',
      'x',
    ]);
  });

  it('answers a snapshot at or past the position as it is', () => {
    const journal = new MembershipJournal(0n);
    const ahead = snapshot(['a'], 20n);
    expect(journal.bringForward('bob', ahead, 15n)).toBe(ahead);
  });

  it('cannot bring forward a snapshot older than its start or than the oldest change it kept', () => {
    const journal = new MembershipJournal(10n, 2);
    expect(journal.bringForward('bob', snapshot([], 9n), 12n)).toBeUndefined();
    journal.record({ userId: 'bob', conversationId: 'a', joined: true, position: 11n });
    journal.record({ userId: 'bob', conversationId: 'b', joined: true, position: 12n });
    journal.record({ userId: 'bob', conversationId: 'c', joined: true, position: 13n });
    // The join at 11 was forgotten: a snapshot from before it would miss it.
    expect(journal.bringForward('bob', snapshot([], 10n), 13n)).toBeUndefined();
    expect(sorted(journal.bringForward('bob', snapshot(['a'], 11n), 13n)?.conversationIds)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('forgets a tenth of its capacity at a time, the oldest first', () => {
    const journal = new MembershipJournal(0n, 20);
    for (let position = 1n; position <= 21n; position += 1n)
      journal.record({ userId: 'bob', conversationId: `c${position}`, joined: true, position });
    // 21 > 20: the two oldest (at 1 and 2) went together.
    expect(journal.bringForward('bob', snapshot([], 1n), 21n)).toBeUndefined();
    const fromTwo = journal.bringForward('bob', snapshot(['c1', 'c2'], 2n), 21n);
    expect(fromTwo?.conversationIds).toHaveLength(21);
  });
});
