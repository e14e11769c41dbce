import type { EventStore } from '../../../infra/eventstore/event-store.js';
import { createPgliteClient } from '../../../infra/sql/pglite.sql-client.js';
import { createPostgresClient } from '../../../infra/sql/postgres.sql-client.js';
import type { SqlClient, SqlExecutor } from '../../../infra/sql/sql-client.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import type { Projection } from '../../projection.js';
import { ProjectionRunner } from '../../runner/projection-runner.js';

/** Every row of `table`, as JSON text, in one order whatever the engine or the physical layout. */
export async function tableRows(db: SqlExecutor, table: string): Promise<string[]> {
  const rows = await db.query<{ row: string }>(
    `select to_jsonb(t)::text as row from public.${table} t order by 1`,
  );
  return rows.map((row) => row.row);
}

/**
 * What `projections` make of the log up to `position` when replayed from scratch by
 * the runner into an empty database of the same engine: the reference a rebuild's
 * tables must equal. Returns each of their tables' rows. `projections` may be made
 * for the fresh database (a search index lives in it).
 */
export async function freshReplay(
  engine: SqlClient['engine'],
  eventStore: EventStore,
  projections: readonly Projection[] | ((sql: SqlClient) => Promise<readonly Projection[]>),
  position: bigint,
): Promise<Map<string, string[]>> {
  const database = engine === 'postgres' ? await createTestDatabase('rebuild_reference') : undefined;
  const sql = database
    ? createPostgresClient({ connectionString: database.url, max: 2, applicationName: 'rebuild-reference' })
    : await createPgliteClient({ dataDir: 'memory://' });
  let runner: ProjectionRunner | undefined;
  try {
    const replayed = typeof projections === 'function' ? await projections(sql) : projections;
    runner = new ProjectionRunner({ sql, eventStore, projections: replayed, batchSize: 2_000 });
    await runner.start();
    if (!(await runner.waitForPosition(position, 120_000)))
      throw new Error(`the reference replay did not reach ${position}`);
    await runner.stop();
    const tables = new Map<string, string[]>();
    for (const projection of replayed)
      for (const table of projection.tables ?? []) tables.set(table, await tableRows(sql, table));
    return tables;
  } finally {
    await runner?.stop();
    await sql.close();
    await database?.drop();
  }
}
