import { EventStoreClosedError } from '../event-store.errors.js';
import type { EventFilter, RecordedEvent, Subscription } from '../event-store.js';
import type { HeadWatcher } from './head-watcher.js';
import { isConnectionError } from '../../sql/sql-client.js';

export interface SqlSubscriptionSource {
  /**
   * Events after `after`, in position order, at most `limit`, and how far the read
   * looked (past the last event when the filter left the rest of the log out).
   */
  readPage(
    after: bigint,
    limit: number,
    filter: EventFilter | undefined,
  ): Promise<{ events: RecordedEvent[]; scannedTo: bigint }>;
  watcher: HeadWatcher;
}

const PAGE_SIZE = 500;
/** The wake-up path is LISTEN/NOTIFY; this slow poll only covers a notification lost with its connection. */
const SAFETY_POLL_MS = 30_000;
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Catch-up then live, by reading pages after the last delivered position. Because
 * positions become visible in order (see the schema), "after the last one I saw"
 * is always complete. Connection errors are retried with backoff; the
 * subscription only ends by `stop()`, a closed store, or a non-connection error.
 */
export class SqlSubscription implements Subscription {
  private readonly abort = new AbortController();

  constructor(
    private readonly source: SqlSubscriptionSource,
    private readonly start: Promise<bigint>,
    private readonly filter: EventFilter | undefined,
  ) {}

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.resolve();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    const signal = this.abort.signal;
    let after = await this.start;
    let failures = 0;
    while (!signal.aborted) {
      const ticket = this.source.watcher.ticket();
      let page: { events: RecordedEvent[]; scannedTo: bigint };
      try {
        page = await this.source.readPage(after, PAGE_SIZE, this.filter);
        failures = 0;
      } catch (error) {
        if (error instanceof EventStoreClosedError) return;
        if (!isConnectionError(error)) throw error;
        failures += 1;
        await delay(Math.min(50 * 2 ** failures, MAX_RETRY_DELAY_MS), signal);
        continue;
      }
      for (const event of page.events) {
        if (signal.aborted) return;
        yield event;
        after = event.position;
      }
      if (page.scannedTo > after) after = page.scannedTo;
      if (page.events.length < PAGE_SIZE)
        await this.source.watcher.waitForChange(ticket, signal, SAFETY_POLL_MS);
    }
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
