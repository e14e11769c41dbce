import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { parkEvent } from '../runner/parked-events.js';
import { backoffDelay, sleep } from '../runner/backoff.js';
import { isTransientFailure } from '../runner/transient-failure.js';
import { useShadow } from './shadow-schema.js';

/** The most an event store read returns (the engines cap `maxCount` there). */
const PAGE_EVENTS = 10_000;
/**
 * Events per `applyBatch` call: one page is one transaction, but each statement
 * stays well inside the client's query deadline even on a busy machine.
 */
const CHUNK_EVENTS = 2_000;
/** Tries of one page when the database is unreachable for a moment, before the rebuild gives up. */
const PAGE_ATTEMPTS = 5;

/** A stretch of the log, read: the events the projection handles, and how far the read went. */
export interface LogPage {
  events: readonly RecordedEvent[];
  /** Every event up to here has been read (handled or not). */
  scannedTo: bigint;
}

/**
 * Reads the events `projection` handles after `after` up to `upTo` included, a
 * page at a time, fetching the next page while the caller applies the current
 * one: a rebuild then waits on the log and the database at the same time.
 * `upTo` must not be past the log's head: every event up to it must be written
 * already, since a short page counts as having read all of them.
 */
export async function* readLogPages(
  eventStore: EventStore,
  projection: Projection,
  after: bigint,
  upTo: bigint,
): AsyncGenerator<LogPage> {
  if (after >= upTo) return;
  const read = (from: bigint) =>
    eventStore.readAll({
      fromPosition: from + 1n,
      maxCount: PAGE_EVENTS,
      filter: { eventTypes: projection.eventTypes },
    });
  let next = read(after);
  for (;;) {
    const page = await next;
    const events = page.filter((event) => event.position <= upTo);
    // A short page reached the head; a page that crossed `upTo` read all of the range.
    const finished = page.length < PAGE_EVENTS || events.length < page.length;
    const scannedTo = finished ? upTo : page[page.length - 1]!.position;
    if (!finished) {
      next = read(scannedTo);
      // Awaited on the next turn; if the caller stops before, its failure must not go unhandled.
      next.catch(() => undefined);
    }
    yield { events, scannedTo };
    if (finished) return;
  }
}

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

export interface CatchUpProgress {
  /** Handled events applied (or parked) so far in this range. */
  applied: number;
  parked: number;
  /** The shadow tables reflect every event up to here. */
  position: bigint;
}

/**
 * Brings the shadow tables from `after` to `upTo`, one transaction per page read
 * (up to 10,000 handled events): few commits, and each short enough to leave the
 * database alone between them (on PGlite, the live runner and the readers queue
 * behind each one).
 */
export async function catchUpShadow(options: {
  sql: SqlClient;
  eventStore: EventStore;
  projection: Projection;
  schema: string;
  after: bigint;
  upTo: bigint;
  signal: AbortSignal;
  onPage(progress: CatchUpProgress): void;
}): Promise<CatchUpProgress> {
  const { sql, projection, schema } = options;
  const progress: CatchUpProgress = { applied: 0, parked: 0, position: options.after };
  for await (const page of readLogPages(options.eventStore, projection, options.after, options.upTo)) {
    if (options.signal.aborted) throw new Error('the rebuild was stopped');
    const parked = await withRetries(options.signal, () =>
      sql.transaction(async (tx) => {
        await useShadow(tx, schema);
        let count = 0;
        for (let start = 0; start < page.events.length; start += CHUNK_EVENTS)
          count += (await applyToShadow(tx, projection, page.events.slice(start, start + CHUNK_EVENTS)))
            .parked;
        return count;
      }),
    );
    progress.applied += page.events.length;
    progress.parked += parked;
    progress.position = page.scannedTo;
    options.onPage({ ...progress });
  }
  progress.position = options.upTo > progress.position ? options.upTo : progress.position;
  return progress;
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
