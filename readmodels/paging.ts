import { ValidationError } from '../domain/errors.js';

/** PROTOCOL.md's largest page. The gateway validates too; this guards every other caller. */
export const MAX_PAGE_SIZE = 200;

/** Throws `ValidationError` (field `limit`) unless `limit` is a whole number from 1 to `MAX_PAGE_SIZE`. */
export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 'limit');
  return limit;
}

/** Throws `ValidationError` naming `field` unless `value` is absent or a whole number ≥ 0. */
export function checkSeq(value: number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ValidationError(`${field} must be a whole number of at least 0`, field);
  return value;
}
