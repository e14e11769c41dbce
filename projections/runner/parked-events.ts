import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';

/** Kept whole in the table, but a runaway message must not bloat it. */
const MAX_ERROR_CHARS = 8_000;

export interface ParkedEvent {
  id: string;
  position: bigint;
  eventId: string;
  attempts: number;
}

/** What is kept of a failure: the stack when there is one (it starts with the message). */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.slice(0, MAX_ERROR_CHARS);
}

/**
 * Parks `event` for one projection. Keyed by (projection, position), so parking
 * the same event again only refreshes the error.
 */
export async function parkEvent(
  tx: SqlExecutor,
  projection: string,
  event: RecordedEvent,
  error: unknown,
  attempts: number,
): Promise<void> {
  await tx.query(
    `insert into projection_parked
       (projection, position, stream, revision, event_id, event_type, error, attempts)
     values ($1, $2::bigint, $3, $4, $5, $6, $7, $8)
     on conflict (projection, position) do update
       set error = excluded.error, attempts = excluded.attempts, parked_at = now()`,
    [
      projection,
      event.position.toString(),
      event.stream,
      event.revision,
      event.id,
      event.type,
      describeError(error),
      attempts,
    ],
  );
}

export async function listParked(db: SqlExecutor, projection: string): Promise<ParkedEvent[]> {
  const rows = await db.query<{
    id: string | number;
    position: string | number;
    event_id: string;
    attempts: number;
  }>(
    `select id, position, event_id, attempts from projection_parked
      where projection = $1 order by position`,
    [projection],
  );
  return rows.map((row) => ({
    id: String(row.id),
    position: BigInt(row.position),
    eventId: row.event_id,
    attempts: row.attempts,
  }));
}

export async function deleteParked(tx: SqlExecutor, id: string): Promise<void> {
  await tx.query('delete from projection_parked where id = $1::bigint', [id]);
}

/** A replay that failed again: the row stays, with the newest error. */
export async function recordReplayFailure(db: SqlExecutor, id: string, error: unknown): Promise<void> {
  await db.query('update projection_parked set error = $2, attempts = attempts + 1 where id = $1::bigint', [
    id,
    describeError(error),
  ]);
}

export async function countParked(
  db: SqlExecutor,
  projections: readonly string[],
): Promise<Map<string, number>> {
  const rows = await db.query<{ projection: string; parked: string | number }>(
    `select projection, count(*) as parked from projection_parked
      where projection = any($1::text[]) group by projection`,
    [projections],
  );
  return new Map(rows.map((row) => [row.projection, Number(row.parked)]));
}
