import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import type { RebuildLease } from './rebuild-lock.js';
import { applyToShadow } from './shadow-catch-up.js';
import { quoteIdentifier, useShadow } from './shadow-schema.js';

/**
 * How long the switch may wait for the live tables' locks (PostgreSQL). While it
 * waits, new readers of those tables queue behind it, so a reader that holds them
 * long (a slow report) must not stall every other one: past this the switch backs
 * off and tries again.
 */
const LOCK_TIMEOUT = '2s';

/** The live projection moved past what the switch had read: catch up again first. */
export class SwitchOvertakenError extends Error {
  constructor(readonly live: bigint) {
    super(`the live projection moved on to ${live} while the switch prepared`);
  }
}

export interface SwitchPlan {
  projection: Projection;
  schema: string;
  /** The shadow tables reflect the log up to here. */
  shadowPosition: bigint;
  /** Handled events after `shadowPosition`, read before the switch, and how far that read went. */
  pending: readonly RecordedEvent[];
  pendingScannedTo: bigint;
  toVersion: number;
  /** Confirmed inside the switch: a rebuild whose lease expired (another took over) must not swap. */
  lease: RebuildLease;
  /**
   * Reads the handled events after `after` up to `upTo` from the log, when that can
   * be done while the switch's transaction waits (PostgreSQL: another connection).
   * Without it, a runner that moved past `pendingScannedTo` makes the switch retry.
   */
  readMore?: (after: bigint, upTo: bigint) => Promise<readonly RecordedEvent[]>;
}

/**
 * Replaces the live tables with the shadow ones, in one transaction:
 *
 * 1. Lock the projection's checkpoint row. The runner locks every checkpoint row
 *    first in each batch, so this waits for its batch in flight and holds off the
 *    next; taking the row before the tables is the runner's order too, so the two
 *    cannot deadlock.
 * 2. Lock the live tables (access exclusive): waits for readers in flight; new ones
 *    wait for the commit, and then read the new tables. None fails.
 * 3. Apply to the shadow the last events, up to exactly the live checkpoint.
 * 4. Drop the live tables, move the shadow ones into `public` (indexes and
 *    constraints follow), move the parked events over, record the version and the
 *    migrations the new tables have, drop the shadow schema.
 *
 * The checkpoint's position does not change: the new tables are exactly there.
 * When the live checkpoint is past `pendingScannedTo`, reads the rest with `readMore`,
 * or throws `SwitchOvertakenError` without it.
 */
export async function switchTables(
  sql: SqlClient,
  plan: SwitchPlan,
): Promise<{ position: bigint; parked: number; applied: number }> {
  const { projection, schema } = plan;
  const tables = projection.tables ?? [];
  return sql.transaction(async (tx) => {
    if (sql.engine === 'postgres') await tx.exec(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    await plan.lease.confirm(tx);
    const [row] = await tx.query<{ position: string | number }>(
      'select position from public.projection_checkpoints where name = $1 for update',
      [projection.name],
    );
    if (!row) throw new Error(`projection ${projection.name} has no checkpoint`);
    const live = BigInt(row.position);
    let pending = plan.pending;
    if (live > plan.pendingScannedTo) {
      // The runner is held off now, so what it committed up to `live` is all in the log.
      if (!plan.readMore) throw new SwitchOvertakenError(live);
      pending = [...pending, ...(await plan.readMore(plan.pendingScannedTo, live))];
    }
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
    // Never lowers it: another process may have rebuilt since this one read the version.
    await tx.query(
      'update public.projection_checkpoints set version = greatest(version + 1, $2) where name = $1',
      [projection.name, plan.toVersion],
    );
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

/** Failures a switch meets when it collides with other transactions: none is a fault, each is worth another try. */
export function isSwitchCollision(error: unknown): boolean {
  if (error instanceof SwitchOvertakenError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  // deadlock_detected, serialization_failure, lock_not_available (the lock timeout).
  return code === '40P01' || code === '40001' || code === '55P03';
}
