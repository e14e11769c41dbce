import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { Projection } from '../projection.js';

/** The most an event store read returns (the engines cap `maxCount` there). */
const PAGE_EVENTS = 10_000;

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

/** Every handled event after `after` up to `upTo`, in one array (the few a switch applies). */
export async function readLogEvents(
  eventStore: EventStore,
  projection: Projection,
  after: bigint,
  upTo: bigint,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const page of readLogPages(eventStore, projection, after, upTo)) events.push(...page.events);
  return events;
}

/**
 * The events a switch applies, read before it: beyond the live checkpoint (the
 * runner may move on before the switch locks it), up to `within` past it, but never
 * past the head read first: a read claims everything up to where it stops, and an
 * event appended after it, below that, would be skipped.
 */
export async function readBeforeSwitch(
  eventStore: EventStore,
  projection: Projection,
  position: bigint,
  live: bigint,
  within: bigint,
): Promise<{ pending: RecordedEvent[]; pendingScannedTo: bigint }> {
  const head = await eventStore.headPosition();
  const ahead = live + within;
  const upTo = head < ahead ? (head > live ? head : live) : ahead;
  const pending: RecordedEvent[] = [];
  let pendingScannedTo = position;
  for await (const page of readLogPages(eventStore, projection, position, upTo)) {
    pending.push(...page.events);
    pendingScannedTo = page.scannedTo;
  }
  return { pending, pendingScannedTo };
}

export interface CatchUpProgress {
  /** Handled events applied (or parked) so far in this range. */
  applied: number;
  parked: number;
  /** The next version reflects every event up to here. */
  position: bigint;
}

export interface CatchUpOptions {
  eventStore: EventStore;
  projection: Projection;
  after: bigint;
  upTo: bigint;
  signal: AbortSignal;
  onPage(progress: CatchUpProgress): void;
}

/**
 * Brings a projection's next version from `after` to `upTo`, a page of the log at a
 * time: `applyPage` applies one page's handled events (whatever its storage needs)
 * and tells how many of them it parked. Stops at the next page once `signal` aborts.
 */
export async function catchUpPages(
  options: CatchUpOptions,
  applyPage: (events: readonly RecordedEvent[]) => Promise<{ parked: number }>,
): Promise<CatchUpProgress> {
  const progress: CatchUpProgress = { applied: 0, parked: 0, position: options.after };
  for await (const page of readLogPages(
    options.eventStore,
    options.projection,
    options.after,
    options.upTo,
  )) {
    if (options.signal.aborted) throw new Error('the rebuild was stopped');
    const { parked } = await applyPage(page.events);
    progress.applied += page.events.length;
    progress.parked += parked;
    progress.position = page.scannedTo;
    options.onPage({ ...progress });
  }
  progress.position = options.upTo > progress.position ? options.upTo : progress.position;
  return progress;
}
