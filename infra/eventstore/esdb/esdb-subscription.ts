import {
  START,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position,
  type ReadPosition,
} from '@eventstore/db-client';
import type { RecordedEvent, Subscription } from '../event-store.js';

/** Where to (re)start reading `$all`, and which events to drop there. */
export interface StartPlan {
  cursor: ReadPosition;
  /** Events whose prepare position is below this are dropped (ESDB may start a little earlier). */
  min?: bigint;
  /** Where to start instead when ESDB rejects `cursor` as not being the start of a record. */
  fallback?: ReadPosition;
}

export interface EsdbSubscriptionSource {
  /** Resolved when the subscription is created, so that `end` means "when subscribeToAll() was called". */
  start: Promise<StartPlan>;
  open(cursor: ReadPosition): AllStreamSubscription;
  /** The port's event, or undefined for a system event or one the server-side filter could not exclude. */
  accept(resolved: AllStreamResolvedEvent): RecordedEvent | undefined;
  isTransient(error: unknown): boolean;
  mayBeInvalidPosition(error: unknown): boolean;
  translate(error: unknown): Error;
  onStop(subscription: EsdbSubscription): void;
}

const MAX_RETRY_DELAY_MS = 5_000;
/** No log record is shorter than this, so no event can start this close after another one. */
const MIN_RECORD_BYTES = 16n;
const SEEN_POSITIONS_KEPT = 8_192;

/**
 * Where to read `$all` from so that the first event kept is the first one at or
 * after `position`. Callers pass event positions, which ESDB can seek to, and
 * also `position + 1n`, which it cannot (it reads only from the first byte of a
 * record): positions seen lately map such values back to a record start.
 */
export function planStart(seen: SeenPositions, position: bigint): StartPlan {
  if (position <= 0n) return { cursor: START };
  const exact = seen.at(position);
  if (exact) return { cursor: exact, min: position };
  const below = seen.below(position);
  if (below && position - below.prepare < MIN_RECORD_BYTES) return { cursor: below, min: position };
  return { cursor: { commit: position, prepare: position }, min: position, fallback: below ?? START };
}

/** Recently seen event positions, ascending by prepare position, bounded. */
export class SeenPositions {
  private readonly sorted: Position[] = [];

  remember(position: Position): void {
    const sorted = this.sorted;
    const last = sorted[sorted.length - 1];
    if (last === undefined || position.prepare > last.prepare) sorted.push(position);
    else {
      const index = this.search(position.prepare);
      if (sorted[index]?.prepare !== position.prepare) sorted.splice(index, 0, position);
    }
    if (sorted.length > SEEN_POSITIONS_KEPT) sorted.splice(0, sorted.length - SEEN_POSITIONS_KEPT / 2);
  }

  at(prepare: bigint): Position | undefined {
    const found = this.sorted[this.search(prepare)];
    return found?.prepare === prepare ? found : undefined;
  }

  /** The greatest seen position below `prepare`. */
  below(prepare: bigint): Position | undefined {
    const index = this.search(prepare);
    return index > 0 ? this.sorted[index - 1] : undefined;
  }

  /** The index of the first position at or above `prepare`. */
  private search(prepare: bigint): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.sorted[middle]!.prepare < prepare) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * Wraps the client's catch-up subscription. ESDB already delivers in `$all`
 * order and never skips (one writer, events visible in log order); what this
 * adds is resuming after a lost connection from the last event seen, with
 * backoff, so that only `stop()`, a closed store or a non-transient error ends it.
 */
export class EsdbSubscription implements Subscription {
  private readonly abort = new AbortController();
  private readonly live = new Set<AllStreamSubscription>();

  constructor(private readonly source: EsdbSubscriptionSource) {}

  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    await Promise.all([...this.live].map((subscription) => close(subscription)));
    this.source.onStop(this);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    const signal = this.abort.signal;
    let { cursor, min, fallback } = await this.source.start;
    let failures = 0;
    while (!signal.aborted) {
      const subscription = this.source.open(cursor);
      this.live.add(subscription);
      try {
        for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
          if (signal.aborted) return;
          const position = resolved.event?.position;
          if (position === undefined || (min !== undefined && position.prepare < min)) continue;
          cursor = position;
          min = position.prepare + 1n;
          fallback = undefined;
          failures = 0;
          const recorded = this.source.accept(resolved);
          if (recorded) yield recorded;
        }
        if (signal.aborted) return;
        // The server ended the subscription without an error: resume, but never in a tight loop.
        failures += 1;
      } catch (error) {
        if (signal.aborted) return;
        if (fallback !== undefined && this.source.mayBeInvalidPosition(error)) {
          cursor = fallback;
          fallback = undefined;
          continue;
        }
        if (!this.source.isTransient(error)) throw this.source.translate(error);
        failures += 1;
      } finally {
        this.live.delete(subscription);
        await close(subscription);
      }
      await delay(Math.min(50 * 2 ** failures, MAX_RETRY_DELAY_MS), signal);
    }
  }
}

async function close(subscription: AllStreamSubscription): Promise<void> {
  await subscription.unsubscribe().catch(() => undefined);
  // Cancelling the call does not always end the readable; destroying it ends any `for await` on it.
  subscription.destroy();
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
