/**
 * The SQL port: the few operations Parley's SQL code needs, so the same statements
 * run on a PostgreSQL server (pg-promise) and on embedded PGlite.
 *
 * Parameters are always sent separately from the text ($1, $2 …): no value is ever
 * spliced into SQL. Both engines return `bigint` columns as number or string, so
 * callers that need exact 64-bit values convert with `BigInt(value)`.
 */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Runs several statements separated by semicolons, with no parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly engine: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel`. After a lost connection is
   * re-established it calls `onNotify(null)`: notifications may have been missed,
   * so listeners must re-read whatever they were waiting for.
   */
  listen(channel: string, onNotify: (payload: string | null) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Errors that mean "the database is not reachable right now", worth a retry. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Class 08 is connection exceptions; 57P0x are admin/crash shutdowns; 53300 too many connections.
    if (code.startsWith('08') || code.startsWith('57P0') || code === '53300') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code))
      return true;
  }
  return (
    isQueryTimeout(error) ||
    /Connection terminated|connection (is )?closed|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(
      error.message,
    )
  );
}

/**
 * pg's client-side deadline (`query_timeout`) ran out: the server did not answer in
 * time, which from here looks like an unreachable database (the statement may still
 * run, so whatever it wrote must be idempotent to retry).
 */
export function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}
