/**
 * The version a rebuild gives a projection's tables (the checkpoint's `version`, their
 * generation): one past the stored one, and at least the code's, so a rebuild after a
 * code change brings the tables up to it. The runner warns while it is below the code's.
 */
export function nextTablesVersion(stored: number, code: number): number {
  return Math.max(stored + 1, code);
}
