import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { backoffDelay, sleep } from './backoff.js';
import { splitFailedBatch } from './batch-split.js';
import { advanceCheckpoints, lockCheckpoints } from './checkpoints.js';
import { parkEvent } from './parked-events.js';
import { isTransientFailure, ProjectionApplyError } from './transient-failure.js';

/** Waits between tries while the database is unreachable: retried forever, so keep the cap short. */
const UNAVAILABLE_MAX_DELAY_MS = 5_000;
/** Waits between tries of an event a projection failed on. */
const FAILING_MAX_DELAY_MS = 30_000;

export interface RetryPolicy {
  /** Tries of one event in one projection before it is parked (1 to 10). */
  attempts: number;
  baseDelayMs: number;
}

/** How one transaction of a batch ended: `failure` is what failed it, other than a lost connection. */
type BatchOutcome = 'committed' | 'stopped' | { failure: unknown };

export interface BatchApplierContext {
  sql: SqlClient;
  projections: readonly Projection[];
  retry: RetryPolicy;
  logger: Logger | undefined;
  /** Runs `work` alone among the runner's transactions (batches and replays of parked events). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * After a commit: these projections' checkpoints are now at `position` (or
   * beyond); `notified` when the commit itself carried the NOTIFY (`notifyChannel`).
   */
  committed(names: readonly string[], position: bigint, notified: boolean): void;
  /** Where each batch's transaction NOTIFYs its last position (see `advanceCheckpoints`); none when unset. */
  notifyChannel?: string;
  /** After a commit that parked an event for `projection`. */
  parked(projection: string): void;
  /**
   * Takes over a projection that failed on `event` and has tries left, so that the
   * others go on without waiting out its backoff. Without it, the applier retries
   * in place (what the held-back projection's own applier does).
   */
  holdBack?(projection: Projection, event: RecordedEvent, attempts: number): void;
}

/**
 * The runner's write path and failure policy.
 *
 * A batch is one transaction: every projection that handles an event and has not
 * passed it yet applies it, then every checkpoint moves to the batch's last
 * position. When that fails for a reason other than a lost connection, the batch
 * is split and its parts applied as batches of their own (`splitFailedBatch`): cut
 * around the event a failure names, or halved when it names none, until each event
 * that fails is alone. A lone event is applied in a transaction of its own, each
 * projection under a savepoint so that one projection's failure does not undo the
 * others'. A failing (projection, event) pair is retried with backoff, then parked,
 * and its checkpoint moves on. With `holdBack`, the runner's applier hands a failing
 * projection over after its first failure alone and goes on with the others (the
 * parts still to apply leave it out); the retries happen on its own.
 */
export class BatchApplier {
  private readonly handled: Map<Projection, ReadonlySet<string>>;
  /** Projections handed to `holdBack`: left out of batches until `rejoin`. */
  private readonly heldBack = new Set<string>();

  constructor(private readonly context: BatchApplierContext) {
    this.handled = new Map(
      context.projections.map((projection) => [projection, new Set(projection.eventTypes)]),
    );
  }

  isHeldBack(name: string): boolean {
    return this.heldBack.has(name);
  }

  /** A held-back projection caught up: batches include it again. Call it in an `exclusive` turn. */
  rejoin(name: string): void {
    this.heldBack.delete(name);
  }

  private active(): Projection[] {
    return this.context.projections.filter((projection) => !this.heldBack.has(projection.name));
  }

  /**
   * Retries the event a projection was held back on, after the backoff its
   * `attempts` so far call for; resolves like `apply`.
   */
  async retry(event: RecordedEvent, attempts: Map<string, number>, signal: AbortSignal): Promise<boolean> {
    if (!(await this.pause(Math.max(1, ...attempts.values()), FAILING_MAX_DELAY_MS, signal))) return false;
    return this.applyOne(event, attempts, signal);
  }

  /**
   * Applies `events` (in position order). Resolves true once all of them are
   * committed, false when `signal` aborted first: what was not committed is
   * delivered again from the checkpoints after a restart.
   */
  async apply(events: readonly RecordedEvent[], signal: AbortSignal): Promise<boolean> {
    if (events.length === 0) return true;
    return this.applyOrSplit(events, signal);
  }

  /** Commits `events` as one batch or, when that fails, part by part (`splitFailedBatch`). */
  private async applyOrSplit(events: readonly RecordedEvent[], signal: AbortSignal): Promise<boolean> {
    const outcome = await this.commitBatch(events, signal);
    if (outcome === 'committed') return true;
    if (outcome === 'stopped') return false;
    this.context.logger?.warn(
      { err: outcome.failure, events: events.length },
      'projection batch failed; splitting it to isolate the events that fail',
    );
    for (const part of splitFailedBatch(events, outcome.failure)) {
      if (signal.aborted) return false;
      // A lone event goes straight to `applyOne`: its savepoints tell which projection fails.
      const applied =
        part.length > 1
          ? await this.applyOrSplit(part, signal)
          : await this.applyOne(part[0]!, this.triesInBatch(part[0]!, outcome.failure), signal);
      if (!applied) return false;
    }
    return true;
  }

  /**
   * One transaction for `events`, tried again for as long as the database is away.
   * Resolves to what else made it fail, or `stopped` when `signal` aborted first.
   */
  private async commitBatch(events: readonly RecordedEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    const last = events[events.length - 1]!.position;
    let unavailable = 0;
    for (;;) {
      try {
        const names = await this.context.exclusive(() =>
          this.context.sql.transaction((tx) => this.applyBatch(tx, events, last)),
        );
        // `advanceCheckpoints` notifies only when it moved a checkpoint.
        const notified = names.length > 0 && this.context.notifyChannel !== undefined;
        this.context.committed(names, last, notified);
        return 'committed';
      } catch (error) {
        if (!isTransientFailure(error)) return { failure: error };
        unavailable += 1;
        this.context.logger?.warn(
          { err: error, attempt: unavailable },
          'projection batch: database unavailable',
        );
        if (!(await this.pause(unavailable, UNAVAILABLE_MAX_DELAY_MS, signal))) return 'stopped';
      }
    }
  }

  /**
   * The batch that failed blaming `event` was the first try of the pair it blamed;
   * the event still gets at least one try alone, which may park it.
   */
  private triesInBatch(event: RecordedEvent, failure: unknown): Map<string, number> {
    const attempts = new Map<string, number>();
    if (failure instanceof ProjectionApplyError && failure.position === event.position)
      attempts.set(failure.projection, Math.min(1, this.context.retry.attempts - 1));
    return attempts;
  }

  /** Resolves to the projections whose checkpoints it moved. */
  private async applyBatch(
    tx: SqlExecutor,
    events: readonly RecordedEvent[],
    last: bigint,
  ): Promise<string[]> {
    const projections = this.active();
    const names = projections.map((projection) => projection.name);
    const checkpoints = await lockCheckpoints(tx, names);
    // Projection by projection: each owns its tables, so only the order within one matters.
    for (const projection of projections) {
      const mine = events.filter((event) => this.needs(projection, event, checkpoints));
      if (mine.length === 0) continue;
      if (projection.applyBatch && mine.length > 1) {
        // No single event to blame: halving the batch finds it.
        await projection.applyBatch(tx, mine);
        continue;
      }
      for (const event of mine) {
        try {
          await projection.apply(tx, event);
        } catch (error) {
          throw new ProjectionApplyError(projection.name, event.position, error);
        }
      }
    }
    await advanceCheckpoints(tx, names, last, this.context.notifyChannel);
    return names;
  }

  /** One event until every projection has applied or parked it. */
  private async applyOne(
    event: RecordedEvent,
    attempts: Map<string, number>,
    signal: AbortSignal,
  ): Promise<boolean> {
    let unavailable = 0;
    for (;;) {
      const applied: string[] = [];
      let failed: Map<string, unknown>;
      try {
        const outcome = await this.context.exclusive(() =>
          this.context.sql.transaction((tx) => this.applyIsolated(tx, event, applied)),
        );
        this.context.committed(outcome.advanced, event.position, false);
        failed = outcome.failed;
      } catch (error) {
        // Nothing committed. Unless the database is away, something failed after the
        // projections ran (a deferred constraint at commit): blame those that ran.
        if (isTransientFailure(error) || applied.length === 0) {
          unavailable += 1;
          this.context.logger?.warn(
            { err: error, position: String(event.position) },
            'projection event: retrying',
          );
          if (!(await this.pause(unavailable, UNAVAILABLE_MAX_DELAY_MS, signal))) return false;
          continue;
        }
        failed = new Map(applied.map((name) => [name, error]));
      }
      if (failed.size === 0) return true;

      const exhausted: { name: string; error: unknown; attempts: number }[] = [];
      let mostAttempts = 0;
      for (const [name, error] of failed) {
        const count = (attempts.get(name) ?? 0) + 1;
        attempts.set(name, count);
        if (count >= this.context.retry.attempts) exhausted.push({ name, error, attempts: count });
        else mostAttempts = Math.max(mostAttempts, count);
        this.context.logger?.warn(
          {
            err: error,
            projection: name,
            position: String(event.position),
            type: event.type,
            attempt: count,
          },
          'projection failed on an event',
        );
      }
      if (exhausted.length > 0 && !(await this.park(event, exhausted, signal))) return false;
      if (exhausted.length === failed.size) return true;
      if (this.context.holdBack) {
        for (const projection of this.context.projections) {
          const attempt = attempts.get(projection.name);
          if (!failed.has(projection.name) || attempt === undefined || attempt >= this.context.retry.attempts)
            continue;
          this.heldBack.add(projection.name);
          this.context.holdBack(projection, event, attempt);
        }
        return true;
      }
      if (!(await this.pause(mostAttempts, FAILING_MAX_DELAY_MS, signal))) return false;
    }
  }

  private async applyIsolated(
    tx: SqlExecutor,
    event: RecordedEvent,
    applied: string[],
  ): Promise<{ failed: Map<string, unknown>; advanced: string[] }> {
    const projections = this.active();
    const names = projections.map((projection) => projection.name);
    const checkpoints = await lockCheckpoints(tx, names);
    const failed = new Map<string, unknown>();
    for (const projection of projections) {
      if (!this.needs(projection, event, checkpoints)) continue;
      await tx.query('savepoint parley_projection');
      try {
        await projection.apply(tx, event);
        await tx.query('release savepoint parley_projection');
        applied.push(projection.name);
      } catch (error) {
        if (isTransientFailure(error)) throw error;
        await tx.query('rollback to savepoint parley_projection');
        failed.set(projection.name, error);
      }
    }
    const advanced = names.filter((name) => !failed.has(name));
    await advanceCheckpoints(tx, advanced, event.position);
    return { failed, advanced };
  }

  /** Records the event as parked for each exhausted projection and moves their checkpoints past it. */
  private async park(
    event: RecordedEvent,
    exhausted: readonly { name: string; error: unknown; attempts: number }[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const names = exhausted.map((entry) => entry.name);
    let failures = 0;
    for (;;) {
      try {
        await this.context.exclusive(() =>
          this.context.sql.transaction(async (tx) => {
            for (const entry of exhausted)
              await parkEvent(tx, entry.name, event, entry.error, entry.attempts);
            await advanceCheckpoints(tx, names, event.position);
          }),
        );
      } catch (error) {
        failures += 1;
        this.context.logger?.error({ err: error, projections: names }, 'parking an event failed; retrying');
        if (!(await this.pause(failures, UNAVAILABLE_MAX_DELAY_MS, signal))) return false;
        continue;
      }
      this.context.committed(names, event.position, false);
      for (const entry of exhausted) {
        this.context.parked(entry.name);
        this.context.logger?.error(
          {
            err: entry.error,
            projection: entry.name,
            position: String(event.position),
            stream: event.stream,
            revision: event.revision,
            type: event.type,
            attempts: entry.attempts,
          },
          'event parked',
        );
      }
      return true;
    }
  }

  private needs(projection: Projection, event: RecordedEvent, checkpoints: Map<string, bigint>): boolean {
    return (
      this.handled.get(projection)!.has(event.type) &&
      (checkpoints.get(projection.name) ?? 0n) < event.position
    );
  }

  /** Backs off before retry `attempt`; false when the runner is stopping instead. */
  private async pause(attempt: number, maxMs: number, signal: AbortSignal): Promise<boolean> {
    await sleep(backoffDelay(attempt, this.context.retry.baseDelayMs, maxMs), signal);
    return !signal.aborted;
  }
}
