import { codePointLength, isStorableText } from '../code-points.js';
import { ValidationError } from '../errors.js';

export const maxTitleLength = 200;

/** A group title is stored trimmed, 1 to 200 characters; `null` means no title. */
export function normalizeTitle(title: string | null | undefined): string | null {
  if (title === null || title === undefined) return null;
  const trimmed = title.trim();
  if (!isStorableText(trimmed)) {
    throw new ValidationError('title must be well-formed Unicode without NUL characters', 'title');
  }
  const length = codePointLength(trimmed);
  if (length === 0 || length > maxTitleLength) {
    throw new ValidationError(`title must be 1 to ${maxTitleLength} characters`, 'title');
  }
  return trimmed;
}
