import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { parkEvent } from '../runner/parked-events.js';
import { backoffDelay, sleep } from '../runner/backoff.js';
import { isTransientFailure } from '../runner/transient-failure.js';
import { catchUpPages, type CatchUpOptions, type CatchUpProgress } from './log-catch-up.js';
import { useShadow } from './shadow-schema.js';

/**
 * Events per `applyBatch` call: one page is one transaction, but each statement
 * stays well inside the client's query deadline even on a busy machine.
 */
const CHUNK_EVENTS = 2_000;
/** Tries of one page when the database is unreachable for a moment, before the rebuild gives up. */
const PAGE_ATTEMPTS = 5;

/**
 * Applies `events` to the shadow tables inside `tx` (whose search path already
 * puts the shadow first): the projection's batch path when it has one, and when
 * that fails, one event at a time, each under a savepoint, parking the events the
 * new version fails on in the shadow's parked table (they replace the live ones'
 * at the switch). No retries with backoff here: a replay meets the same data every
 * time, only a lost connection is worth another try, and the caller does that.
 */
export async function applyToShadow(
  tx: SqlExecutor,
  projection: Projection,
  events: readonly RecordedEvent[],
): Promise<{ parked: number }> {
  if (events.length === 0) return { parked: 0 };
  await tx.query('savepoint parley_rebuild_batch');
  try {
    if (projection.applyBatch && events.length > 1) await projection.applyBatch(tx, events);
    else for (const event of events) await projection.apply(tx, event);
    await tx.query('release savepoint parley_rebuild_batch');
    return { parked: 0 };
  } catch (error) {
    if (isTransientFailure(error)) throw error;
    await tx.query('rollback to savepoint parley_rebuild_batch');
  }
  let parked = 0;
  for (const event of events) {
    await tx.query('savepoint parley_rebuild_event');
    try {
      await projection.apply(tx, event);
      await tx.query('release savepoint parley_rebuild_event');
    } catch (error) {
      if (isTransientFailure(error)) throw error;
      await tx.query('rollback to savepoint parley_rebuild_event');
      await parkEvent(tx, projection.name, event, error, 1);
      parked += 1;
    }
  }
  return { parked };
}

/**
 * Brings the shadow tables from `after` to `upTo`, one transaction per page read
 * (up to 10,000 handled events): few commits, and each short enough to leave the
 * database alone between them (on PGlite, the live runner and the readers queue
 * behind each one).
 */
export function catchUpShadow(
  options: CatchUpOptions & { sql: SqlClient; schema: string },
): Promise<CatchUpProgress> {
  const { sql, projection, schema } = options;
  return catchUpPages(options, async (events) => ({
    parked: await withRetries(options.signal, () =>
      sql.transaction(async (tx) => {
        await useShadow(tx, schema);
        let count = 0;
        for (let start = 0; start < events.length; start += CHUNK_EVENTS)
          count += (await applyToShadow(tx, projection, events.slice(start, start + CHUNK_EVENTS))).parked;
        return count;
      }),
    ),
  }));
}

/** Runs `work` (one whole transaction) again when the database was unreachable; anything else fails at once. */
async function withRetries<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientFailure(error) || attempt >= PAGE_ATTEMPTS || signal.aborted) throw error;
      await sleep(backoffDelay(attempt, 200, 5_000), signal);
    }
  }
}
