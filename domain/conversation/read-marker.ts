/**
 * Read markers live outside the conversation stream: one event per "read" would
 * outnumber the messages themselves. This is the rule the marker store applies.
 */
import { ValidationError } from '../errors.js';

/**
 * The read seq after a member asks to mark `requested` as read, or `null` when the
 * marker stays where it is. Markers only move forward and never past `lastSeq`
 * (a client may know of a seq the store has not caught up with; it is clamped).
 */
export function nextReadSeq(current: number, requested: number, lastSeq: number): number | null {
  if (!Number.isSafeInteger(requested) || requested < 0) {
    throw new ValidationError('seq must be a non-negative integer', 'seq');
  }
  const next = Math.min(requested, lastSeq);
  return next > current ? next : null;
}
