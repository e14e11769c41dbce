import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { evolveReceipts, initialReceiptsState, markRead } from './receipts.decider.js';

const conversationId = '00000000-0000-4000-8000-000000000001';
const userId = '00000000-0000-4000-8000-000000000002';
const now = new Date('2026-01-01T00:00:00Z');
const memberSince = '2025-12-01T00:00:00.000Z';

describe('read markers', () => {
  it('move forward, clamped to the last seq', () => {
    expect(
      markRead({ conversationId, userId, memberSince, seq: 50 }, initialReceiptsState(), 10, now),
    ).toEqual([
      {
        type: 'ReadMarkerMoved',
        data: { conversationId, userId, seq: 10, at: now.toISOString() },
      },
    ]);
  });

  it('never move backwards', () => {
    const state = initialReceiptsState();
    for (const event of markRead({ conversationId, userId, memberSince, seq: 7 }, state, 10, now))
      evolveReceipts(state, event);
    expect(markRead({ conversationId, userId, memberSince, seq: 3 }, state, 10, now)).toEqual([]);
    expect(markRead({ conversationId, userId, memberSince, seq: 7 }, state, 10, now)).toEqual([]);
    expect(markRead({ conversationId, userId, memberSince, seq: 8 }, state, 10, now)).toHaveLength(1);
  });

  it('count a marker set in the very instant the membership began', () => {
    const state = initialReceiptsState();
    for (const event of markRead({ conversationId, userId, memberSince, seq: 7 }, state, 10, now))
      evolveReceipts(state, event);
    // Joined at the marker's own instant: the marker belongs to this membership.
    const sameInstant = { conversationId, userId, memberSince: now.toISOString() };
    expect(markRead({ ...sameInstant, seq: 3 }, state, 10, now)).toEqual([]);
  });

  it('reject a negative or fractional seq', () => {
    expect(() =>
      markRead({ conversationId, userId, memberSince, seq: -1 }, initialReceiptsState(), 10, now),
    ).toThrow(ValidationError);
    expect(() =>
      markRead({ conversationId, userId, memberSince, seq: 1.5 }, initialReceiptsState(), 10, now),
    ).toThrow(ValidationError);
  });

  it('start again from nothing for a member who left and came back', () => {
    const state = initialReceiptsState();
    for (const event of markRead({ conversationId, userId, memberSince, seq: 7 }, state, 10, now))
      evolveReceipts(state, event);
    const rejoined = { conversationId, userId, memberSince: '2026-02-01T00:00:00.000Z' };
    const later = new Date('2026-02-02T00:00:00Z');
    const [moved] = markRead({ ...rejoined, seq: 3 }, state, 10, later);
    expect(moved?.data.seq).toBe(3);
    evolveReceipts(state, moved!);
    expect(markRead({ ...rejoined, seq: 2 }, state, 10, later)).toEqual([]);
    expect(markRead({ ...rejoined, seq: 4 }, state, 10, later)).toHaveLength(1);
  });
});
