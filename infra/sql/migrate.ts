import type { SqlClient } from './sql-client.js';

export interface Migration {
  /** Never renamed or reordered once released: the id is what marks it applied. */
  id: string;
  sql: string;
}

/**
 * Applies the migrations of one component that are not applied yet, in order.
 * Several instances starting at once against one database are safe: the whole run
 * holds a transaction-scoped advisory lock, so one applies and the others then see
 * the migrations done.
 */
export async function migrate(
  client: SqlClient,
  component: string,
  migrations: readonly Migration[],
): Promise<void> {
  await client.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('parley_migrations'))`);
    await tx.exec(`create table if not exists parley_migrations (
      component text not null,
      id text not null,
      applied_at timestamptz not null default now(),
      primary key (component, id))`);
    const applied = await tx.query<{ id: string }>('select id from parley_migrations where component = $1', [
      component,
    ]);
    const done = new Set(applied.map((row) => row.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into parley_migrations (component, id) values ($1, $2)', [
        component,
        migration.id,
      ]);
    }
  });
}
