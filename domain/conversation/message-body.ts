/**
 * The rules for a message body, shared by sending and editing, and the body
 * fingerprint the state keeps instead of the text.
 */
import { codePointLength, isStorableText } from '../code-points.js';
import { ValidationError } from '../errors.js';

/** Throws unless `body` has visible content and at most `maxLength` code points. */
export function validateMessageBody(body: string, maxLength: number): void {
  if (/^\s*$/u.test(body)) throw new ValidationError('body must not be empty or only whitespace', 'body');
  if (!isStorableText(body)) {
    throw new ValidationError('body must be well-formed Unicode without NUL characters', 'body');
  }
  const length = codePointLength(body);
  if (length > maxLength) {
    throw new ValidationError(`body must be at most ${maxLength} characters (got ${length})`, 'body');
  }
}

/**
 * A 53-bit fingerprint of a body. The decision state may cover a million messages,
 * so it keeps this number rather than the text, only to recognise an edit that
 * changes nothing. Two different bodies share a fingerprint with odds near 2^-53;
 * the only cost of that would be one such edit being ignored.
 */
export function bodyFingerprint(body: string): number {
  // Two independent 32-bit multiplicative hashes, each finished with an avalanche.
  let low = 0x811c9dc5;
  let high = 0x9e3779b9 ^ body.length;
  for (let i = 0; i < body.length; i += 1) {
    const unit = body.charCodeAt(i);
    low = Math.imul(low ^ unit, 0x01000193);
    high = Math.imul(high ^ unit, 0x5bd1e995);
    high ^= high >>> 15;
  }
  low = Math.imul(low ^ (low >>> 16), 0x85ebca6b);
  low ^= low >>> 13;
  high = Math.imul(high ^ (high >>> 16), 0xc2b2ae35);
  high ^= high >>> 16;
  return (high & 0x1fffff) * 0x1_0000_0000 + (low >>> 0);
}
