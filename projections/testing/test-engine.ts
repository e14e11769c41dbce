import type { EventStore } from '../../infra/eventstore/event-store.js';
import { SqlEventStore } from '../../infra/eventstore/sql/sql-event-store.js';
import { createPgliteClient } from '../../infra/sql/pglite.sql-client.js';
import { createPostgresClient } from '../../infra/sql/postgres.sql-client.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import { createTestDatabase } from '../../test/support/postgres.js';

export type EngineName = 'postgres' | 'pglite';

/** A database with the event store in it, shared by the store and the read models as in embedded mode. */
export interface TestEngine {
  name: EngineName;
  sql: SqlClient;
  eventStore: EventStore;
  /**
   * Makes the transaction `tx` lose its connection, as a crash of the database
   * connection would. PostgreSQL: the server ends the backend. PGlite has no
   * connection to lose, so it throws the error a lost connection raises.
   */
  loseConnection(tx: SqlExecutor): Promise<never>;
  close(): Promise<void>;
}

/** A fresh PostgreSQL database (one per test file) or an in-memory PGlite. */
export async function openTestEngine(name: EngineName, label: string): Promise<TestEngine> {
  if (name === 'pglite') {
    const sql = await createPgliteClient({ dataDir: 'memory://' });
    const eventStore = await SqlEventStore.open(sql);
    return {
      name,
      sql,
      eventStore,
      loseConnection: () =>
        Promise.reject(Object.assign(new Error('Connection terminated'), { code: '08006' })),
      async close() {
        await eventStore.close();
        await sql.close();
      },
    };
  }
  const database = await createTestDatabase(label);
  const sql = createPostgresClient({ connectionString: database.url, max: 4, applicationName: label });
  const eventStore = await SqlEventStore.open(sql);
  return {
    name,
    sql,
    eventStore,
    async loseConnection(tx) {
      await tx.query('select pg_terminate_backend(pg_backend_pid())');
      throw new Error('the backend survived pg_terminate_backend');
    },
    async close() {
      await eventStore.close();
      await sql.close();
      await database.drop();
    },
  };
}
