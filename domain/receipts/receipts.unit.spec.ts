import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { evolveReceipts, initialReceiptsState, markRead } from './receipts.decider.js';

const conversationId = '00000000-0000-4000-8000-000000000001';
const userId = '00000000-0000-4000-8000-000000000002';
const now = new Date('2026-01-01T00:00:00Z');

describe('read markers', () => {
  it('move forward, clamped to the last seq', () => {
    expect(markRead({ conversationId, userId, seq: 50 }, initialReceiptsState(), 10, now)).toEqual([
      { type: 'ReadMarkerMoved', data: { conversationId, userId, seq: 10, at: now.toISOString() } },
    ]);
  });

  it('never move backwards', () => {
    const state = initialReceiptsState();
    for (const event of markRead({ conversationId, userId, seq: 7 }, state, 10, now))
      evolveReceipts(state, event);
    expect(markRead({ conversationId, userId, seq: 3 }, state, 10, now)).toEqual([]);
    expect(markRead({ conversationId, userId, seq: 7 }, state, 10, now)).toEqual([]);
    expect(markRead({ conversationId, userId, seq: 8 }, state, 10, now)).toHaveLength(1);
  });

  it('reject a negative or fractional seq', () => {
    expect(() => markRead({ conversationId, userId, seq: -1 }, initialReceiptsState(), 10, now)).toThrow(
      ValidationError,
    );
    expect(() => markRead({ conversationId, userId, seq: 1.5 }, initialReceiptsState(), 10, now)).toThrow(
      ValidationError,
    );
  });
});
