/** How usernames and display names are normalised before they are stored. */
import { codePointLength, isStorableText } from '../code-points.js';
import { ValidationError } from '../errors.js';

export const maxDisplayNameLength = 64;

/**
 * 3 to 32 of `a-z 0-9 _ .`, stored lowercase. Only ASCII is accepted before
 * lowercasing: `toLowerCase` maps some non-ASCII letters (the Kelvin sign `K`)
 * onto ASCII ones, which would let look-alike names through.
 */
export function normalizeUsername(username: string): string {
  if (!/^[A-Za-z0-9_.]{3,32}$/.test(username)) {
    throw new ValidationError('username must be 3 to 32 of a-z, 0-9, "_" and "."', 'username');
  }
  return username.toLowerCase();
}

/** Stored trimmed, 1 to 64 characters (code points). */
export function normalizeDisplayName(displayName: string): string {
  const trimmed = displayName.trim();
  if (!isStorableText(trimmed)) {
    throw new ValidationError(
      'displayName must be well-formed Unicode without NUL characters',
      'displayName',
    );
  }
  const length = codePointLength(trimmed);
  if (length === 0 || length > maxDisplayNameLength) {
    throw new ValidationError(`displayName must be 1 to ${maxDisplayNameLength} characters`, 'displayName');
  }
  return trimmed;
}
