/** Values as the read models' SQL takes and returns them, the same on PostgreSQL and PGlite. */

export { isUuid } from '../domain/uuid.js';

/** Both engines return timestamptz as a Date; a string is tolerated in case a driver is configured otherwise. */
export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
