import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { Projection } from '../projection.js';
import type { BatchApplier } from './batch-applier.js';

export interface HeldBackCatchUpOptions {
  projection: Projection;
  /** The event it failed on, and how many tries that took so far. */
  failedOn: RecordedEvent;
  attempts: number;
  /** An applier for this projection alone, which retries in place. */
  applier: BatchApplier;
  eventStore: EventStore;
  batchSize: number;
  /** Its committed checkpoint, as the runner knows it. */
  checkpoint(): bigint;
  /** Runs `work` alone among the runner's transactions. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Puts it back among the projections the runner's batches apply, with its
   * checkpoint moved to `head` (nothing it handles lies between); called in an
   * `exclusive` turn.
   */
  rejoin(head: bigint): Promise<void>;
  signal: AbortSignal;
}

/**
 * Brings a held-back projection back in step: retries the event it failed on (until
 * it applies or is parked), then reads the log from its own checkpoint and applies
 * what the others went on with meanwhile. It rejoins the runner's batches only when
 * a read in an exclusive turn finds nothing past its checkpoint: no batch can commit
 * between that read and the rejoin, so no event falls between the two.
 *
 * Resolves false when `signal` aborts first; the projection then stays behind its
 * checkpoint, and a restarted runner delivers the rest to it.
 */
export async function catchUpHeldBack(options: HeldBackCatchUpOptions): Promise<boolean> {
  const { projection, applier, signal } = options;
  const attempts = new Map([[projection.name, options.attempts]]);
  if (!(await applier.retry(options.failedOn, attempts, signal))) return false;
  for (;;) {
    if (signal.aborted) return false;
    const page = await options.exclusive(async () => {
      // Read before the page: an event it handles at or below `head` is in the page.
      const head = await options.eventStore.headPosition();
      const events = await options.eventStore.readAll({
        fromPosition: options.checkpoint() + 1n,
        maxCount: options.batchSize,
        filter: { eventTypes: projection.eventTypes },
      });
      if (events.length === 0) await options.rejoin(head);
      return events;
    });
    if (page.length === 0) return true;
    if (!(await applier.apply(page, signal))) return false;
  }
}
