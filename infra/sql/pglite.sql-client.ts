import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor } from './sql-client.js';

export interface PgliteClientOptions {
  /** A directory for the data, or `memory://` for a throw-away database. */
  dataDir: string;
}

interface PgliteQueryable {
  query<Row>(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  exec(text: string): Promise<unknown>;
}

function executor(db: PgliteQueryable): SqlExecutor {
  return {
    async query<Row>(text: string, values: readonly unknown[] = []) {
      return (await db.query<Row>(text, values as unknown[])).rows;
    },
    async exec(text: string) {
      await db.exec(text);
    },
  };
}

/**
 * Embedded PostgreSQL (WASM) in this process: the same SQL as the server engine,
 * one connection, queries queued one after another.
 */
export async function createPgliteClient(options: PgliteClientOptions): Promise<SqlClient> {
  const db = await PGlite.create(options.dataDir);
  return {
    engine: 'pglite',
    ...executor(db),
    transaction: (work) => db.transaction((tx) => work(executor(tx))),
    async listen(channel, onNotify) {
      const unlisten = await db.listen(channel, (payload) => onNotify(payload));
      return async () => {
        if (!db.closed) await unlisten();
      };
    },
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
