import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../errors.js';
import { nextReadSeq } from './read-marker.js';

describe('read markers', () => {
  it('move forward to the requested seq', () => {
    expect(nextReadSeq(3, 7, 10)).toBe(7);
  });

  it('stay put when asked to move back or to where they are', () => {
    expect(nextReadSeq(7, 3, 10)).toBeNull();
    expect(nextReadSeq(7, 7, 10)).toBeNull();
  });

  it('stop at the last message when asked past it', () => {
    expect(nextReadSeq(3, 50, 10)).toBe(10);
    expect(nextReadSeq(10, 50, 10)).toBeNull();
  });

  it('accept 0 on a conversation without messages, changing nothing', () => {
    expect(nextReadSeq(0, 0, 0)).toBeNull();
  });

  it.each([
    ['negative', -1],
    ['fractional', 2.5],
    ['not a number', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('refuse a %s seq', (_, requested) => {
    let refusal: unknown;
    try {
      nextReadSeq(0, requested, 10);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ValidationError);
    expect(refusal).toHaveProperty('field', 'seq');
  });

  it('never move backwards and never pass the last seq', () => {
    const seq = fc.nat({ max: 1_000_000 });
    fc.assert(
      fc.property(seq, seq, seq, (lastSeq, current, requested) => {
        const start = Math.min(current, lastSeq); // a stored marker never exceeds lastSeq
        const next = nextReadSeq(start, requested, lastSeq);
        if (next === null) {
          expect(Math.min(requested, lastSeq)).toBeLessThanOrEqual(start);
        } else {
          expect(next).toBeGreaterThan(start);
          expect(next).toBeLessThanOrEqual(lastSeq);
          expect(next).toBe(Math.min(requested, lastSeq));
        }
      }),
    );
  });
});
