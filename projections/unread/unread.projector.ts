import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { UnreadChange, UnreadCounters } from '../../infra/unread/unread-counters.js';
import { backoffDelay, sleep } from '../runner/backoff.js';
import { EventFeed } from '../runner/event-feed.js';
import { PositionWaiters } from '../runner/position-waiters.js';
import { unreadChangeOf } from './unread-changes.js';

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;
const DEFAULT_REBUILD_TIMEOUT_MS = 10 * 60_000;

export interface UnreadProjectorOptions {
  eventStore: EventStore;
  counters: UnreadCounters;
  logger?: Logger;
  /** Most events per `apply` (one Redis round trip). Defaults to 500. */
  batchSize?: number;
  /** The first wait after a failure, doubling up to 5 s. Defaults to 100 ms. */
  retryBaseDelayMs?: number;
}

/**
 * Keeps unread counters from the log, in a loop of its own: the counters' sink
 * cannot share the read models' transaction, so it keeps its own checkpoint and
 * `$all` subscription instead of joining the projection runner.
 *
 * Guarantees: events are applied in global order from the sink's checkpoint;
 * delivery is at-least-once (a batch that failed, or was applied before a crash
 * and not checkpointed, is applied again) and the sink's per-stream guards make
 * that harmless. A failing sink is retried with backoff until `stop()`. An event
 * whose data does not decode is logged and skipped, as the Postgres projection
 * parks it and goes on.
 */
export class UnreadProjector {
  private readonly waiters = new PositionWaiters();
  private readonly batchSize: number;
  private readonly baseDelayMs: number;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** The newest position the sink holds, as far as this projector knows. */
  private reachedPosition = 0n;
  private running = false;

  constructor(private readonly options: UnreadProjectorOptions) {
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.baseDelayMs = Math.max(1, options.retryBaseDelayMs ?? DEFAULT_BASE_DELAY_MS);
  }

  /** Starts the loop; it reads the checkpoint and catches up in the background. */
  start(): Promise<void> {
    if (this.loop) return Promise.resolve();
    this.abort = new AbortController();
    this.running = true;
    this.loop = this.run(this.abort.signal);
    return Promise.resolve();
  }

  /** Stops the subscription and lets the batch in flight finish. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.abort.abort();
    await loop;
    this.loop = undefined;
    this.running = false;
    this.waiters.cancelAll();
  }

  /**
   * Resolves true once the counters include the event at `position` (read-your-writes),
   * false after `timeoutMs` or if the projector stops first.
   */
  waitForPosition(position: bigint, timeoutMs = 5_000): Promise<boolean> {
    if (this.running && this.reachedPosition >= position) return Promise.resolve(true);
    return this.waiters.wait(position, timeoutMs);
  }

  /**
   * Drops the counters and replays the log from position 0, then goes on live.
   * Resolves once the replay reached the head of the log as it stood when called.
   * Counters read during the rebuild are incomplete; run it on one node at a time
   * (another node projecting into the same keys meanwhile would be undone by the clear).
   */
  async rebuild(timeoutMs = DEFAULT_REBUILD_TIMEOUT_MS): Promise<void> {
    const head = await this.options.eventStore.headPosition();
    await this.stop();
    await this.options.counters.clear();
    this.reachedPosition = 0n;
    await this.start();
    if (!(await this.waitForPosition(head, timeoutMs)))
      throw new Error(`the unread counters did not reach position ${head} within ${timeoutMs} ms`);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let feed: EventFeed | undefined;
      try {
        const checkpoint = await this.options.counters.checkpoint();
        this.reached(checkpoint);
        feed = new EventFeed(
          this.options.eventStore.subscribeToAll({ from: checkpoint > 0n ? { after: checkpoint } : 'start' }),
        );
        for (;;) {
          const batch = await feed.take(this.batchSize, signal);
          if (batch === null) {
            if (signal.aborted) return;
            throw new Error('the subscription to $all ended');
          }
          const last = batch[batch.length - 1]!;
          await this.options.counters.apply(this.changesOf(batch), last.position);
          this.reached(last.position);
          failures = 0;
        }
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        this.options.logger?.error(
          { err: error, attempt: failures },
          'unread counters projector failed; resuming from its checkpoint',
        );
        await sleep(backoffDelay(failures, this.baseDelayMs, MAX_DELAY_MS), signal);
      } finally {
        await feed?.stop();
      }
    }
  }

  private changesOf(batch: readonly RecordedEvent[]): UnreadChange[] {
    const changes: UnreadChange[] = [];
    for (const event of batch) {
      try {
        const change = unreadChangeOf(event);
        if (change) changes.push(change);
      } catch (error) {
        this.options.logger?.error(
          { err: error, position: String(event.position), stream: event.stream, type: event.type },
          'unread counters: event skipped, its data does not decode',
        );
      }
    }
    return changes;
  }

  private reached(position: bigint): void {
    if (position > this.reachedPosition) this.reachedPosition = position;
    this.waiters.reached(this.reachedPosition);
  }
}
