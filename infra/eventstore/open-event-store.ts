import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { EventStore } from './event-store.js';
import { SqlEventStore, type SqlEventStoreOptions } from './sql/sql-event-store.js';
import { createPostgresClient } from '../sql/postgres.sql-client.js';
import { createPgliteClient } from '../sql/pglite.sql-client.js';

/** The event store on a PostgreSQL server; the store owns (and closes) its pool. */
export async function openPostgresEventStore(
  connectionString: string,
  options: SqlEventStoreOptions & { poolSize?: number } = {},
): Promise<EventStore> {
  const sql = createPostgresClient({
    connectionString,
    max: options.poolSize ?? 10,
    applicationName: 'parley-eventstore',
  });
  try {
    return await SqlEventStore.open(sql, { ...options, onClose: () => sql.close() });
  } catch (error) {
    await sql.close();
    throw error;
  }
}

/** The event store embedded in this process, kept in `dataDir` (or `memory://`). */
export async function openPgliteEventStore(
  dataDir: string,
  options: SqlEventStoreOptions = {},
): Promise<EventStore> {
  if (!dataDir.startsWith('memory://')) await mkdir(path.resolve(dataDir), { recursive: true });
  const sql = await createPgliteClient({ dataDir });
  try {
    return await SqlEventStore.open(sql, { ...options, onClose: () => sql.close() });
  } catch (error) {
    await sql.close();
    throw error;
  }
}
