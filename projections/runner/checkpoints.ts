import type { SqlExecutor } from '../../infra/sql/sql-client.js';

/** A checkpoint as stored: bigint columns come back as number or string depending on the engine. */
interface CheckpointRow {
  name: string;
  version: number;
  position: string | number;
}

export interface StoredCheckpoint {
  version: number;
  position: bigint;
}

/**
 * Creates the checkpoint of each projection that has none (a new projection starts
 * at 0 and catches up) and returns every checkpoint as stored.
 */
export async function ensureCheckpoints(
  db: SqlExecutor,
  projections: readonly { name: string; version: number }[],
): Promise<Map<string, StoredCheckpoint>> {
  await db.query(
    `insert into projection_checkpoints (name, version, position)
     select name, version, 0 from unnest($1::text[], $2::int[]) as p(name, version)
     on conflict (name) do nothing`,
    [projections.map((projection) => projection.name), projections.map((projection) => projection.version)],
  );
  return readCheckpoints(
    db,
    projections.map((projection) => projection.name),
  );
}

export async function readCheckpoints(
  db: SqlExecutor,
  names: readonly string[],
): Promise<Map<string, StoredCheckpoint>> {
  const rows = await db.query<CheckpointRow>(
    'select name, version, position from projection_checkpoints where name = any($1::text[])',
    [names],
  );
  return new Map(rows.map((row) => [row.name, { version: row.version, position: BigInt(row.position) }]));
}

/**
 * Reads the checkpoints inside a transaction and locks them until it ends. Another
 * runner on the same database (a second projector process) then waits, and sees
 * the advanced checkpoints instead of applying the same events a second time.
 * Locked in name order so that two runners can never deadlock on them.
 */
export async function lockCheckpoints(
  tx: SqlExecutor,
  names: readonly string[],
): Promise<Map<string, bigint>> {
  const rows = await tx.query<CheckpointRow>(
    `select name, version, position from projection_checkpoints
      where name = any($1::text[]) order by name for update`,
    [names],
  );
  return new Map(rows.map((row) => [row.name, BigInt(row.position)]));
}

/**
 * Moves checkpoints forward to `position`; never backwards. With `notifyChannel`,
 * the same statement also NOTIFYs `position` there: PostgreSQL delivers it at
 * commit, so listeners hear of the checkpoints exactly when they can read them,
 * without a round trip of its own after the commit.
 */
export async function advanceCheckpoints(
  tx: SqlExecutor,
  names: readonly string[],
  position: bigint,
  notifyChannel?: string,
): Promise<void> {
  if (names.length === 0) return;
  const at = position.toString();
  const advance = `update projection_checkpoints set position = greatest(position, $2::bigint), updated_at = now()
      where name = any($1::text[])`;
  if (notifyChannel === undefined) await tx.query(advance, [names, at]);
  else
    await tx.query(`with advanced as (${advance}) select pg_notify($3, $4)`, [names, at, notifyChannel, at]);
}

/**
 * Flags the projections held back by an event they failed on (or clears the flag):
 * processes waiting on the checkpoints for read-your-writes do not wait for them,
 * as the projecting process does not (see `CheckpointWatcher`).
 */
export async function markHeldBack(
  db: SqlExecutor,
  names: readonly string[],
  heldBack: boolean,
): Promise<void> {
  if (names.length === 0) return;
  await db.query(
    `update projection_checkpoints set held_back_since = case when $2 then now() end
      where name = any($1::text[])`,
    [names, heldBack],
  );
}
