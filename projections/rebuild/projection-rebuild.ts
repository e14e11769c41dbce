import type { EventStore } from '../../infra/eventstore/event-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import { migrate } from '../../infra/sql/migrate.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { backoffDelay, sleep } from '../runner/backoff.js';
import { ensureCheckpoints, readCheckpoints } from '../runner/checkpoints.js';
import { runnerMigrations } from '../runner/runner.schema.js';
import { startExternalBuild } from './external-build.js';
import { readBeforeSwitch, readLogEvents } from './log-catch-up.js';
import type { NextVersionBuild } from './next-version-build.js';
import { claimAcrossProcesses, claimInProcess, rebuildLockMigrations } from './rebuild-lock.js';
import { NotRebuildableError, RebuildInProgressError } from './rebuild-errors.js';
import { isSwitchCollision } from './switch-checkpoint.js';
import { startTablesBuild } from './tables-build.js';

/**
 * Catch-up passes go on until the next version is this close to the live checkpoint;
 * the rest is applied inside the switch, while the runner (and SQL readers) wait: keep it short.
 */
const SWITCH_WITHIN_POSITIONS = 2_000n;
/** A switch that keeps colliding with the live runner or readers gives up after this many tries. */
const SWITCH_ATTEMPTS = 20;

export interface RebuildProgress {
  projection: string;
  phase: 'preparing' | 'catching_up' | 'switching' | 'done' | 'failed';
  /** The next version (shadow tables, new index) reflects the log up to this global position. */
  position: bigint;
  /** The live checkpoint the current pass catches up to. */
  target: bigint;
  /** Events the projection handles, applied to the next version so far. */
  applied: number;
  /** Of those, events the new version failed on (parked for it). */
  parked: number;
}

export interface RebuildResult {
  /** The checkpoint the new version took over (unchanged by the switch). */
  position: bigint;
  applied: number;
  parked: number;
  seconds: number;
}

export interface RebuildOptions {
  sql: SqlClient;
  eventStore: EventStore;
  projection: Projection;
  /** What the switch records as the projection's version. */
  toVersion: number;
  logger?: Logger;
  /** Called after each page applied and at each phase. */
  onProgress?: (progress: RebuildProgress) => void;
  /** Stops the rebuild (at the next page): the live version stays, the next one is dropped. */
  signal?: AbortSignal;
}

export interface RebuildHandle {
  /** Resolves once the new version serves; rejects (`RebuildInProgressError` among others) when the rebuild did not happen. */
  done: Promise<RebuildResult>;
  progress(): RebuildProgress;
}

/**
 * Rebuilds one projection without downtime: builds its next version from
 * position 0 beside the live one, which keeps serving reads while the runner keeps
 * it current, then swaps it in atomically. A SQL projection's next version is its
 * tables in a schema of their own (`switchTables`); a projection whose state lives
 * elsewhere is rebuilt into the target its `rebuildTarget` hook makes (a new
 * Elasticsearch index, `startExternalBuild`). Both share the lease, the passes, the
 * progress and the switch's retries here.
 *
 * Refuses synchronously a projection that has neither tables nor the hook, or one
 * that this process is already rebuilding; another process's rebuild of it makes
 * `done` reject with `RebuildInProgressError`.
 */
export function startProjectionRebuild(options: RebuildOptions): RebuildHandle {
  const { sql, projection } = options;
  if (!isRebuildable(projection)) throw new NotRebuildableError(projection.name);
  const releaseClaim = claimInProcess(sql, projection.name);
  if (!releaseClaim) throw new RebuildInProgressError(projection.name);
  let progress: RebuildProgress = {
    projection: projection.name,
    phase: 'preparing',
    position: 0n,
    target: 0n,
    applied: 0,
    parked: 0,
  };
  const report = (change: Partial<RebuildProgress>) => {
    progress = { ...progress, ...change };
    options.onProgress?.(progress);
  };
  const done = rebuild(options, report).then(
    (result) => {
      releaseClaim();
      report({ phase: 'done' });
      return result;
    },
    (error: unknown) => {
      releaseClaim();
      report({ phase: 'failed' });
      throw error;
    },
  );
  return { done, progress: () => progress };
}

/** Whether a rebuild can build the projection's next version beside its live one. */
function isRebuildable(projection: Projection): boolean {
  return (projection.tables ?? []).length > 0 || projection.rebuildTarget !== undefined;
}

/** Starts building the next version where the projection keeps its state (`isRebuildable` said it can). */
function startBuild(sql: SqlClient, projection: Projection): Promise<NextVersionBuild> {
  const rebuildTarget = projection.rebuildTarget?.bind(projection);
  if ((projection.tables ?? []).length > 0 || !rebuildTarget) return startTablesBuild(sql, projection);
  return startExternalBuild(sql, projection, rebuildTarget);
}

async function rebuild(
  options: RebuildOptions,
  report: (change: Partial<RebuildProgress>) => void,
): Promise<RebuildResult> {
  const { sql, eventStore, projection, logger } = options;
  // Stopped by the caller, or by the loss of the lease.
  const stopper = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopper.signal]) : stopper.signal;
  const started = performance.now();
  // What the runner's start makes: a rebuild may come first (a tool on a database no server has run on yet).
  await migrate(sql, 'projection-runner', runnerMigrations);
  await migrate(sql, `projection:${projection.name}`, projection.migrations);
  await ensureCheckpoints(sql, [projection]);
  await migrate(sql, 'projection-rebuild', rebuildLockMigrations);

  const lease = await claimAcrossProcesses(sql, projection.name, (error) => {
    logger?.error({ err: error, projection: projection.name }, 'rebuild lease lost; stopping');
    stopper.abort();
  });
  if (!lease) throw new RebuildInProgressError(projection.name);
  let build: NextVersionBuild | undefined;
  try {
    build = await startBuild(sql, projection);
    const next = build;
    logger?.info({ projection: projection.name, location: next.location }, 'rebuild started');
    let position = 0n;
    let applied = 0;
    let parked = 0;
    const catchUp = async (upTo: bigint) => {
      const base = { applied, parked };
      const reached = await next.catchUp({
        eventStore,
        projection,
        after: position,
        upTo,
        signal,
        onPage: (page) =>
          report({
            phase: 'catching_up',
            position: page.position,
            target: upTo,
            applied: base.applied + page.applied,
            parked: base.parked + page.parked,
          }),
      });
      position = reached.position;
      applied += reached.applied;
      parked += reached.parked;
    };

    // Passes until close to the live checkpoint: the first one does nearly all the work.
    for (let live = await livePosition(sql, projection.name); live - position > SWITCH_WITHIN_POSITIONS;) {
      report({ phase: 'catching_up', target: live });
      await catchUp(live);
      live = await livePosition(sql, projection.name);
    }

    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw new Error('the rebuild was stopped');
      const live = await livePosition(sql, projection.name);
      if (live - position > SWITCH_WITHIN_POSITIONS) await catchUp(live);
      const { pending, pendingScannedTo } = await readBeforeSwitch(
        eventStore,
        projection,
        position,
        live,
        SWITCH_WITHIN_POSITIONS,
      );
      report({ phase: 'switching', target: live });
      try {
        const switched = await next.switchOver({
          shadowPosition: position,
          pending,
          pendingScannedTo,
          toVersion: options.toVersion,
          lease,
          // PGlite has one connection, busy with the switch's own transaction.
          readMore:
            sql.engine === 'postgres'
              ? (after, upTo) => readLogEvents(eventStore, projection, after, upTo)
              : undefined,
        });
        applied += switched.applied;
        parked += switched.parked;
        report({ position: switched.position, target: switched.position, applied, parked });
        const seconds = (performance.now() - started) / 1000;
        logger?.info(
          { projection: projection.name, position: String(switched.position), applied, parked, seconds },
          'rebuild switched to the new version',
        );
        return { position: switched.position, applied, parked, seconds };
      } catch (error) {
        if (!isSwitchCollision(error) || attempt >= SWITCH_ATTEMPTS) throw error;
        logger?.info(
          { err: error, projection: projection.name, attempt },
          'rebuild switch collided; retrying',
        );
        await sleep(backoffDelay(attempt, 20, 1_000), signal);
      }
    }
  } catch (error) {
    await build
      ?.discard()
      .catch((discardError: unknown) =>
        logger?.warn(
          { err: discardError, projection: projection.name },
          'rebuild: the next version was not dropped; the next rebuild drops it',
        ),
      );
    logger?.warn({ err: error, projection: projection.name }, 'rebuild failed; the live version stays');
    throw error;
  } finally {
    await lease
      .release()
      .catch((error: unknown) =>
        logger?.warn({ err: error, projection: projection.name }, 'rebuild lease not released; it expires'),
      );
  }
}

async function livePosition(sql: SqlClient, name: string): Promise<bigint> {
  return (await readCheckpoints(sql, [name])).get(name)?.position ?? 0n;
}
