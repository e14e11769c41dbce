import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { applyToShadow } from './shadow-catch-up.js';
import { quoteIdentifier, useShadow } from './shadow-schema.js';
import { holdLiveCheckpoint, recordRebuiltVersion, type SwitchPlan } from './switch-checkpoint.js';

/**
 * Replaces the live tables with the shadow ones, in one transaction:
 *
 * 1. Lock the projection's checkpoint row (`holdLiveCheckpoint`): waits for the
 *    runner's batch in flight and holds off the next; taking the row before the
 *    tables is the runner's order too, so the two cannot deadlock.
 * 2. Lock the live tables (access exclusive): waits for readers in flight; new ones
 *    wait for the commit, and then read the new tables. None fails.
 * 3. Apply to the shadow the last events, up to exactly the live checkpoint.
 * 4. Drop the live tables, move the shadow ones into `public` (indexes and
 *    constraints follow), move the parked events over, record the version and the
 *    migrations the new tables have, drop the shadow schema.
 *
 * The checkpoint's position does not change: the new tables are exactly there.
 */
export async function switchTables(
  sql: SqlClient,
  projection: Projection,
  schema: string,
  plan: SwitchPlan,
): Promise<{ position: bigint; parked: number; applied: number }> {
  const tables = projection.tables ?? [];
  return sql.transaction(async (tx) => {
    const { live, pending } = await holdLiveCheckpoint(sql, tx, projection.name, plan);
    await tx.exec(
      `lock table ${tables.map((table) => `public.${quoteIdentifier(table)}`).join(', ')} in access exclusive mode`,
    );

    await useShadow(tx, schema);
    const last = pending.filter((event) => event.position > plan.shadowPosition && event.position <= live);
    const { parked } = await applyToShadow(tx, projection, last);

    for (const table of tables) {
      await tx.exec(`drop table public.${quoteIdentifier(table)}`);
      await tx.exec(`alter table ${quoteIdentifier(schema)}.${quoteIdentifier(table)} set schema public`);
    }
    await moveParkedEvents(tx, projection.name, schema);
    await recordRebuiltVersion(tx, projection.name, plan.toVersion);
    // The new tables went through every migration the code has: record them, so a later start does not rerun one.
    await tx.query(
      `insert into public.parley_migrations (component, id) select $1, unnest($2::text[]) on conflict do nothing`,
      [`projection:${projection.name}`, projection.migrations.map((migration) => migration.id)],
    );
    await tx.exec(`drop schema ${quoteIdentifier(schema)} cascade`);
    return { position: live, parked, applied: last.length };
  });
}

/** The live version's parked events were about the old tables; the new version's own replace them. */
async function moveParkedEvents(tx: SqlExecutor, projection: string, schema: string): Promise<void> {
  await tx.query('delete from public.projection_parked where projection = $1', [projection]);
  await tx.exec(
    `insert into public.projection_parked select * from ${quoteIdentifier(schema)}.projection_parked`,
  );
}
