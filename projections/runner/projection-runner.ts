import type { EventStore, RecordedEvent, SubscriptionStart } from '../../infra/eventstore/event-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { Metrics } from '../../infra/metrics/metrics.js';
import { migrate } from '../../infra/sql/migrate.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { backoffDelay, sleep } from './backoff.js';
import { BatchApplier, type RetryPolicy } from './batch-applier.js';
import { advanceCheckpoints, ensureCheckpoints, markHeldBack } from './checkpoints.js';
import { EventFeed } from './event-feed.js';
import { catchUpHeldBack } from './held-back-catch-up.js';
import { deleteParked, listParked, recordReplayFailure } from './parked-events.js';
import { PositionWaiters } from './position-waiters.js';
import { exportProjectionGauges, readProjectionStatus, type ProjectionStatus } from './projection-status.js';
import { runnerMigrations } from './runner.schema.js';
import { isTransientFailure } from './transient-failure.js';

export type { ProjectionStatus } from './projection-status.js';

const DEFAULT_ATTEMPTS = 8;
const MAX_ATTEMPTS = 10;
const DEFAULT_BASE_DELAY_MS = 100;
/**
 * A batch costs about nine round trips whatever its size, and on a busy node each
 * waits out a long turn of the event loop (60-80 ms at 5,600 sends/s): batches of
 * 500 applied under 1,000 events a second there, and the read models fell further
 * behind every second. Batches only grow this large while the runner is behind.
 */
const DEFAULT_BATCH_SIZE = 2_000;
const RESUBSCRIBE_MAX_DELAY_MS = 5_000;
/** Lag gauges are refreshed after a batch, but at most this often: each refresh costs a few queries. */
const METRICS_INTERVAL_MS = 250;

export interface ProjectionRunnerOptions {
  /** Where the projections' tables and the checkpoints live. */
  sql: SqlClient;
  eventStore: EventStore;
  /** Names must be unique: a name keys the checkpoint and the parked events. */
  projections: readonly Projection[];
  metrics?: Metrics;
  logger?: Logger;
  retry?: {
    /** Tries of one event in one projection before it is parked. Defaults to 8; at most 10. */
    attempts?: number;
    /** The first retry's wait, doubled for each next one. Defaults to 100 ms. */
    baseDelayMs?: number;
  };
  /** Most events per transaction. Defaults to 2,000. */
  batchSize?: number;
  /**
   * After each commit, the lowest checkpoint of all the projections: how the process
   * tells other processes (NOTIFY) that their waits may be over. `notified` when the
   * commit already NOTIFYed on `notifyChannel`.
   */
  onCommitted?: (lowest: bigint, notified: boolean) => void;
  /** Where each batch's own transaction NOTIFYs its last position; unset: no NOTIFY from batches. */
  notifyChannel?: string;
}

/**
 * Runs projections from one catch-up subscription to `$all`.
 *
 * Guarantees: each projection sees the events it handles in global order, and
 * each event's effect is committed exactly once per projection, because its
 * checkpoint moves in the same transaction as its rows. An event that keeps
 * failing in one projection is parked (and replayable) without stopping the
 * others; a database that is away is waited for, forever, until `stop()`.
 *
 * Two runners on one database (a projector that lost its lock while a batch was in
 * flight, and the one that took it over) still apply each event once: every batch
 * locks the checkpoint rows and applies only what lies past them (see
 * projector-lock.ts for the whole argument).
 */
export class ProjectionRunner {
  private readonly sql: SqlClient;
  private readonly eventStore: EventStore;
  private readonly projections: readonly Projection[];
  private readonly metrics: Metrics | undefined;
  private readonly logger: Logger | undefined;
  private readonly baseDelayMs: number;
  private readonly batchSize: number;
  private readonly onCommitted: ((lowest: bigint, notified: boolean) => void) | undefined;
  private readonly retry: RetryPolicy;
  private readonly applier: BatchApplier;
  /** Committed checkpoints, as far as this runner knows: the start of a subscription, and what waiters compare to. */
  private readonly checkpoints = new Map<string, bigint>();
  private readonly waiters = new PositionWaiters();
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private metricsTimer: NodeJS.Timeout | undefined;
  private metricsRefresh: Promise<void> | undefined;
  /** A batch committed while a refresh was already scheduled or running: refresh once more after it. */
  private metricsStale = false;
  private lastMetricsAt = 0;
  /** Catch-ups of held-back projections (`held-back-catch-up.ts`) in flight. */
  private readonly catchUps = new Set<Promise<unknown>>();

  constructor(options: ProjectionRunnerOptions) {
    const names = options.projections.map((projection) => projection.name);
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated !== undefined) throw new Error(`two projections are named ${repeated}`);
    this.sql = options.sql;
    this.eventStore = options.eventStore;
    this.projections = options.projections;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.baseDelayMs = Math.max(0, options.retry?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS);
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.onCommitted = options.onCommitted;
    const attempts = Math.floor(options.retry?.attempts ?? DEFAULT_ATTEMPTS);
    this.retry = { attempts: Math.min(MAX_ATTEMPTS, Math.max(1, attempts)), baseDelayMs: this.baseDelayMs };
    this.applier = new BatchApplier({
      sql: this.sql,
      projections: this.projections,
      retry: this.retry,
      logger: this.logger,
      exclusive: (work) => this.exclusive(work),
      committed: (advanced, position, notified) => this.committed(advanced, position, notified),
      parked: () => this.scheduleMetrics(),
      holdBack: (projection, event, tries) => this.holdBack(projection, event, tries),
      ...(options.notifyChannel === undefined ? {} : { notifyChannel: options.notifyChannel }),
    });
  }

  /**
   * Creates the runner's and the projections' tables, loads the checkpoints and
   * subscribes from the lowest one. Resolves once the subscription runs; the
   * catching up happens in the background (see `status()` and `waitForPosition()`).
   */
  async start(): Promise<void> {
    if (this.loop) return;
    await migrate(this.sql, 'projection-runner', runnerMigrations);
    for (const projection of this.projections)
      await migrate(this.sql, `projection:${projection.name}`, projection.migrations);
    const stored = await ensureCheckpoints(this.sql, this.projections);
    // Held back by a process that is gone: this runner retries them in its own turn.
    await markHeldBack(
      this.sql,
      this.projections.map((projection) => projection.name),
      false,
    );
    for (const projection of this.projections) {
      const checkpoint = stored.get(projection.name);
      // The stored version is the tables' generation: a rebuild raises it to at least the
      // code's version. Lower means tables built by older code; they are kept and extended
      // from the checkpoint until rebuilt (`parley projections rebuild`), and the log says so.
      if (checkpoint && checkpoint.version < projection.version) {
        this.logger?.warn(
          { projection: projection.name, stored: checkpoint.version, current: projection.version },
          'projection tables were built by an older version: they continue from their checkpoint until rebuilt',
        );
      }
      this.checkpoints.set(projection.name, checkpoint?.position ?? 0n);
    }
    this.abort = new AbortController();
    const feed = this.subscribe();
    this.loop = this.run(feed, this.abort.signal);
    // Whoever waited before the start for what the stored checkpoints already cover.
    this.waiters.reached(this.lowestServing());
    this.scheduleMetrics();
  }

  /** Stops the subscription, lets the batch in flight commit, and resolves. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.abort.abort();
    await loop;
    await Promise.all(this.catchUps);
    this.loop = undefined;
    this.waiters.cancelAll();
    clearTimeout(this.metricsTimer);
    this.metricsTimer = undefined;
    await this.metricsRefresh;
  }

  /**
   * Resolves true once every projection has committed `position` (the position an
   * append returned: read-your-writes), false after `timeoutMs` or if the runner
   * stops first. Woken by each commit, not by polling. A projection held back by an
   * event it keeps failing on is not waited for: its read model lags (its status
   * shows the lag) rather than every read waiting out its retries.
   */
  waitForPosition(position: bigint, timeoutMs = 5_000): Promise<boolean> {
    if (this.loop && this.lowestServing() >= position) return Promise.resolve(true);
    return this.waiters.wait(position, timeoutMs);
  }

  /** Each projection's checkpoint, lag and parked events (see `ProjectionStatus`). */
  status(): Promise<ProjectionStatus[]> {
    return readProjectionStatus(this.sql, this.eventStore, this.projections, this.loop !== undefined);
  }

  /**
   * Applies the parked events of one projection again, oldest first, each in a
   * transaction that also deletes its parked row. One that fails again stays
   * parked with the new error. Resolves to how many were applied.
   */
  async replayParked(projectionName: string): Promise<number> {
    const projection = this.projections.find((candidate) => candidate.name === projectionName);
    if (!projection) throw new Error(`no projection named ${projectionName}`);
    let replayed = 0;
    for (const parked of await listParked(this.sql, projectionName)) {
      const [event] = await this.eventStore.readAll({ fromPosition: parked.position, maxCount: 1 });
      if (!event || event.position !== parked.position || event.id !== parked.eventId) {
        await recordReplayFailure(
          this.sql,
          parked.id,
          new Error(`event ${parked.eventId} is no longer at position ${parked.position} of the log`),
        );
        continue;
      }
      try {
        await this.exclusive(() =>
          this.sql.transaction(async (tx) => {
            await projection.apply(tx, event);
            await deleteParked(tx, parked.id);
          }),
        );
        replayed += 1;
      } catch (error) {
        if (isTransientFailure(error)) throw error;
        this.logger?.warn(
          { err: error, projection: projectionName, position: String(event.position) },
          'parked event failed again',
        );
        await recordReplayFailure(this.sql, parked.id, error);
      }
    }
    this.scheduleMetrics();
    return replayed;
  }

  private async run(first: EventFeed, signal: AbortSignal): Promise<void> {
    let feed = first;
    let failures = 0;
    try {
      while (!signal.aborted) {
        try {
          for (;;) {
            const batch = await feed.take(this.batchSize, signal);
            if (batch === null) {
              if (signal.aborted) return;
              throw new Error('the subscription to $all ended');
            }
            if (!(await this.applier.apply(batch, signal))) return;
            failures = 0;
            this.scheduleMetrics();
          }
        } catch (error) {
          if (signal.aborted) return;
          // Whatever was buffered and not committed is read again from the checkpoints.
          failures += 1;
          this.logger?.error(
            { err: error, attempt: failures },
            'projection subscription failed; resubscribing',
          );
          await feed.stop();
          await sleep(
            backoffDelay(failures, Math.max(this.baseDelayMs, 1), RESUBSCRIBE_MAX_DELAY_MS),
            signal,
          );
          if (signal.aborted) return;
          feed = this.subscribe();
        }
      }
    } finally {
      await feed.stop();
    }
  }

  private subscribe(): EventFeed {
    const lowest = this.lowestCheckpoint();
    const from: SubscriptionStart = lowest > 0n ? { after: lowest } : 'start';
    // Reading two batches ahead: the next batch is full by the time this one commits.
    return new EventFeed(this.eventStore.subscribeToAll({ from }), 2 * this.batchSize);
  }

  /** Where the subscription must resume: held-back projections included. */
  private lowestCheckpoint(): bigint {
    return this.lowest(this.projections);
  }

  /** What reads wait for: held-back projections left out. */
  private lowestServing(): bigint {
    return this.lowest(this.projections.filter((projection) => !this.applier.isHeldBack(projection.name)));
  }

  private lowest(projections: readonly Projection[]): bigint {
    let lowest: bigint | undefined;
    for (const projection of projections) {
      const checkpoint = this.checkpoints.get(projection.name) ?? 0n;
      if (lowest === undefined || checkpoint < lowest) lowest = checkpoint;
    }
    return lowest ?? 0n;
  }

  private committed(names: readonly string[], position: bigint, notified = false): void {
    for (const name of names) {
      if ((this.checkpoints.get(name) ?? 0n) < position) this.checkpoints.set(name, position);
    }
    this.announceLowest(notified);
  }

  /** Wakes the reads waiting for a position the projections that serve now have all reached. */
  private announceLowest(notified = false): void {
    const lowest = this.lowestServing();
    this.waiters.reached(lowest);
    this.onCommitted?.(lowest, notified);
  }

  /**
   * Takes a projection that failed on `event` out of the batches, so the others
   * go on at once, and catches it up on its own (`held-back-catch-up.ts`).
   */
  private holdBack(projection: Projection, event: RecordedEvent, attempts: number): void {
    this.logger?.warn(
      { projection: projection.name, position: String(event.position), attempt: attempts },
      'projection held back by an event it failed on; the others go on',
    );
    // The reads it held up may now be answered: the lowest no longer counts it.
    this.announceLowest();
    const signal = this.abort.signal;
    const applier = new BatchApplier({
      sql: this.sql,
      projections: [projection],
      retry: this.retry,
      logger: this.logger,
      exclusive: (work) => this.exclusive(work),
      committed: (advanced, position, notified) => this.committed(advanced, position, notified),
      parked: () => this.scheduleMetrics(),
    });
    const catchUp = markHeldBack(this.sql, [projection.name], true)
      .catch((error: unknown) =>
        // Only other processes' reads miss it: they wait for this projection as before.
        this.logger?.warn(
          { err: error, projection: projection.name },
          'could not flag a held-back projection',
        ),
      )
      .then(() =>
        catchUpHeldBack({
          projection,
          failedOn: event,
          attempts,
          applier,
          eventStore: this.eventStore,
          batchSize: this.batchSize,
          checkpoint: () => this.checkpoints.get(projection.name) ?? 0n,
          exclusive: (work) => this.exclusive(work),
          rejoin: (head) => this.rejoin(projection.name, head),
          signal,
        }),
      )
      .catch((error: unknown) => {
        // Left behind its checkpoint: a restarted runner delivers the rest.
        if (!signal.aborted)
          this.logger?.error({ err: error, projection: projection.name }, 'held-back projection stopped');
      })
      .finally(() => this.catchUps.delete(catchUp));
    this.catchUps.add(catchUp);
  }

  private async rejoin(name: string, head: bigint): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await advanceCheckpoints(tx, [name], head);
      await markHeldBack(tx, [name], false);
    });
    this.applier.rejoin(name);
    this.committed([name], head);
    this.logger?.info({ projection: name }, 'held-back projection caught up and rejoined');
  }

  /** Batches and replays of parked events take turns, so they never race on the same rows. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.serial.then(work, work);
    this.serial = turn.catch(() => undefined);
    return turn;
  }

  /** Refreshes the lag gauges now, or soon if they were refreshed a moment ago. */
  private scheduleMetrics(): void {
    if (!this.metrics || !this.loop) return;
    if (this.metricsTimer) {
      this.metricsStale = true;
      return;
    }
    const wait = Math.max(0, this.lastMetricsAt + METRICS_INTERVAL_MS - Date.now());
    this.metricsTimer = setTimeout(() => {
      this.lastMetricsAt = Date.now();
      this.metricsStale = false;
      this.metricsRefresh = this.refreshMetrics().finally(() => {
        this.metricsTimer = undefined;
        if (this.metricsStale) this.scheduleMetrics();
      });
    }, wait);
  }

  private async refreshMetrics(): Promise<void> {
    if (!this.metrics || !this.loop) return;
    try {
      exportProjectionGauges(this.metrics, await this.status());
    } catch (error) {
      this.logger?.warn({ err: error }, 'projection lag metrics not refreshed');
    }
  }
}
