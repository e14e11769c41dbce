import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { RebuildLease } from './rebuild-lock.js';

/**
 * How long a switch may wait for a lock (PostgreSQL): the live checkpoint row, or
 * the live tables. While it waits, others queue behind it (the runner, readers of
 * those tables), so one holding them long must not stall every other: past this the
 * switch backs off and tries again.
 */
const LOCK_TIMEOUT = '2s';

/** The live projection moved past what the switch had read: catch up again first. */
export class SwitchOvertakenError extends Error {
  constructor(readonly live: bigint) {
    super(`the live projection moved on to ${live} while the switch prepared`);
  }
}

/** What a switch starts from, whatever the next version is stored in. */
export interface SwitchPlan {
  /** The next version reflects the log up to here. */
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
 * The first steps of every switch, inside its transaction `tx`: bounds lock waits,
 * confirms the lease, then locks the projection's checkpoint row. The runner locks
 * every checkpoint row first in each batch, before it writes anything, so this waits
 * for its batch in flight and holds off the next until `tx` ends: from here on the
 * live version does not move. Resolves to the live checkpoint and the pending events,
 * completed with `readMore` up to it when the runner had gone past what was read
 * (or throws `SwitchOvertakenError` without `readMore`).
 */
export async function holdLiveCheckpoint(
  sql: SqlClient,
  tx: SqlExecutor,
  name: string,
  plan: SwitchPlan,
): Promise<{ live: bigint; pending: readonly RecordedEvent[] }> {
  if (sql.engine === 'postgres') await tx.exec(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
  await plan.lease.confirm(tx);
  const [row] = await tx.query<{ position: string | number }>(
    'select position from public.projection_checkpoints where name = $1 for update',
    [name],
  );
  if (!row) throw new Error(`projection ${name} has no checkpoint`);
  const live = BigInt(row.position);
  if (live <= plan.pendingScannedTo) return { live, pending: plan.pending };
  // The runner is held off now, so what it committed up to `live` is all in the log.
  if (!plan.readMore) throw new SwitchOvertakenError(live);
  return { live, pending: [...plan.pending, ...(await plan.readMore(plan.pendingScannedTo, live))] };
}

/** Records the version the switch brought in. Never lowers it: another process may have rebuilt since this one read it. */
export async function recordRebuiltVersion(tx: SqlExecutor, name: string, toVersion: number): Promise<void> {
  await tx.query(
    'update public.projection_checkpoints set version = greatest(version + 1, $2) where name = $1',
    [name, toVersion],
  );
}

/** Failures a switch meets when it collides with other transactions: none is a fault, each is worth another try. */
export function isSwitchCollision(error: unknown): boolean {
  if (error instanceof SwitchOvertakenError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  // deadlock_detected, serialization_failure, lock_not_available (the lock timeout).
  return code === '40P01' || code === '40001' || code === '55P03';
}
