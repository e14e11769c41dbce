import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';

/**
 * Where a rebuild builds the next version of a projection: a schema of its own,
 * first on the search path of the rebuild's transactions. The projection's SQL
 * names its tables unqualified, so the same statements that write the live tables
 * write the shadow ones there, and still read every other (public) table.
 */
export function shadowSchemaOf(projection: string): string {
  return `parley_rebuild_${projection.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/** Double-quotes an identifier (names come from code, never from a request, but quoting keeps odd ones valid). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Makes the rest of the transaction `tx` resolve unqualified names in the shadow schema first. */
export async function useShadow(tx: SqlExecutor, schema: string): Promise<void> {
  await tx.exec(`set local search_path to ${quoteIdentifier(schema)}, public`);
}

/**
 * Creates the shadow schema afresh (a crashed rebuild's leftovers are dropped:
 * nothing in it is worth keeping, the rebuild starts again from position 0) with the
 * projection's tables, made by running its migrations there. Also a parked-events
 * table, so that an event the new version fails on is parked for the new version
 * only. The migrations run directly, not through `migrate()`: its bookkeeping
 * (`parley_migrations`) describes the public tables, and is only updated when the
 * shadow ones replace them.
 */
export async function createShadowSchema(sql: SqlClient, projection: Projection): Promise<string> {
  const schema = shadowSchemaOf(projection.name);
  const tables = projection.tables ?? [];
  await sql.transaction(async (tx) => {
    await tx.exec(`drop schema if exists ${quoteIdentifier(schema)} cascade`);
    await tx.exec(`create schema ${quoteIdentifier(schema)}`);
    await useShadow(tx, schema);
    for (const migration of projection.migrations) await tx.exec(migration.sql);
    const created = await tablesIn(tx, schema);
    const missing = tables.filter((table) => !created.includes(table));
    const undeclared = created.filter((table) => !tables.includes(table));
    // A table the migrations make but `tables` does not name would be lost at the switch.
    if (missing.length > 0 || undeclared.length > 0)
      throw new Error(
        `projection ${projection.name}: its migrations create [${created.join(', ')}] but it declares tables [${tables.join(', ')}]`,
      );
    // The runner's parked table, same shape and id sequence: `parkEvent` writes here while the shadow is first on the path.
    await tx.exec('create table projection_parked (like public.projection_parked including all)');
  });
  return schema;
}

export async function dropShadowSchema(sql: SqlExecutor, schema: string): Promise<void> {
  await sql.exec(`drop schema if exists ${quoteIdentifier(schema)} cascade`);
}

async function tablesIn(tx: SqlExecutor, schema: string): Promise<string[]> {
  const rows = await tx.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') order by c.relname`,
    [schema],
  );
  return rows.map((row) => row.name);
}
