import { createTestDatabase } from '../../../test/support/postgres.js';
import { createPgliteClient } from '../pglite.sql-client.js';
import { createPostgresClient } from '../postgres.sql-client.js';
import type { SqlClient } from '../sql-client.js';

export type SqlEngine = SqlClient['engine'];
export const sqlEngines: readonly SqlEngine[] = ['pglite', 'postgres'];

/** A fresh, empty database on either engine: PGlite in memory, or a new database on the test server. */
export async function openTestSql(
  engine: SqlEngine,
  label = 'sql',
): Promise<{ sql: SqlClient; close: () => Promise<void> }> {
  if (engine === 'pglite') {
    const sql = await createPgliteClient({ dataDir: 'memory://' });
    return { sql, close: () => sql.close() };
  }
  const database = await createTestDatabase(label);
  const sql = createPostgresClient({ connectionString: database.url, max: 5 });
  return {
    sql,
    async close() {
      await sql.close();
      await database.drop();
    },
  };
}
