import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { isTransientFailure } from '../runner/transient-failure.js';

/** Events per `applyBatch` call: one bulk write each, well inside the store's request limits. */
const CHUNK_EVENTS = 2_000;
/**
 * When this many events in a row fail from the start of a chunk's one-by-one
 * re-run, the target is more likely away than the events bad.
 */
const OUTAGE_AFTER = 20;

/** An event the next version failed on, kept until the switch parks it for that version. */
export interface TargetFailure {
  event: RecordedEvent;
  error: unknown;
}

/**
 * Applies `events` to a rebuild target, a projection whose writes do not go
 * through SQL (`executor` is handed over as the projection contract asks, and
 * commits nothing of theirs). The batch path first; when a chunk fails, its events
 * one at a time, the ones that fail added to `failures` (by position: an event
 * applied again replaces its entry). No savepoints to roll back: the target's
 * writes are idempotent by (stream, revision), so what a failed batch wrote is
 * simply written again. No retries with backoff either: a replay meets the same
 * data every time, and the store's client retries what the network loses.
 *
 * When every event of a chunk fails, or the first `OUTAGE_AFTER` of its re-run,
 * the target is more likely away than the events bad: that throws, and the
 * rebuild fails rather than promote a version missing them.
 */
export async function applyToTarget(
  executor: SqlExecutor,
  projection: Projection,
  events: readonly RecordedEvent[],
  failures: Map<bigint, TargetFailure>,
): Promise<{ parked: number }> {
  let parked = 0;
  for (let start = 0; start < events.length; start += CHUNK_EVENTS) {
    const chunk = events.slice(start, start + CHUNK_EVENTS);
    try {
      if (projection.applyBatch && chunk.length > 1) await projection.applyBatch(executor, chunk);
      else for (const event of chunk) await projection.apply(executor, event);
      for (const event of chunk) failures.delete(event.position);
      continue;
    } catch (error) {
      if (isTransientFailure(error)) throw error;
    }
    parked += await applyOneByOne(executor, projection, chunk, failures);
  }
  return { parked };
}

/** Resolves to how many of `chunk` failed (and were added to `failures`). */
async function applyOneByOne(
  executor: SqlExecutor,
  projection: Projection,
  chunk: readonly RecordedEvent[],
  failures: Map<bigint, TargetFailure>,
): Promise<number> {
  let failed = 0;
  for (const [index, event] of chunk.entries()) {
    try {
      await projection.apply(executor, event);
      failures.delete(event.position);
    } catch (error) {
      if (isTransientFailure(error)) throw error;
      failures.set(event.position, { event, error });
      failed += 1;
      const allSoFar = failed === index + 1;
      if (chunk.length > 1 && allSoFar && (failed === OUTAGE_AFTER || failed === chunk.length))
        throw new Error(
          `projection ${projection.name}: the rebuild target refused every event it was given (${failed}); is its store away?`,
          { cause: error },
        );
    }
  }
  return failed;
}
