/** Values as the read models' SQL takes and returns them, the same on PostgreSQL and PGlite. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` can be compared with a uuid column. Queries answer "not found"
 * for anything else instead of letting PostgreSQL fail on the cast.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Both engines return timestamptz as a Date; a string is tolerated in case a driver is configured otherwise. */
export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
