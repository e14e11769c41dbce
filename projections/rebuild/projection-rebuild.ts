import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import { migrate } from '../../infra/sql/migrate.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { backoffDelay, sleep } from '../runner/backoff.js';
import { ensureCheckpoints, readCheckpoints } from '../runner/checkpoints.js';
import { runnerMigrations } from '../runner/runner.schema.js';
import { claimAcrossProcesses, claimInProcess, rebuildLockMigrations } from './rebuild-lock.js';
import { NotRebuildableError, RebuildInProgressError } from './rebuild-errors.js';
import { catchUpShadow, readLogPages } from './shadow-catch-up.js';
import { createShadowSchema, dropShadowSchema } from './shadow-schema.js';
import { isSwitchCollision, switchTables } from './table-switch.js';

/**
 * Catch-up passes go on until the shadow is this close to the live checkpoint;
 * the rest is applied inside the switch, while readers wait: keep it short.
 */
const SWITCH_WITHIN_POSITIONS = 2_000n;
/** A switch that keeps colliding with the live runner or readers gives up after this many tries. */
const SWITCH_ATTEMPTS = 20;

export interface RebuildProgress {
  projection: string;
  phase: 'preparing' | 'catching_up' | 'switching' | 'done' | 'failed';
  /** The shadow tables reflect the log up to this global position. */
  position: bigint;
  /** The live checkpoint the current pass catches up to. */
  target: bigint;
  /** Events the projection handles, applied to the shadow so far. */
  applied: number;
  /** Of those, events the new version failed on (parked for it). */
  parked: number;
}

export interface RebuildResult {
  /** The checkpoint the new tables took over (unchanged by the switch). */
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
  /** Stops the rebuild (at the next page): the live tables stay, the shadow is dropped. */
  signal?: AbortSignal;
}

export interface RebuildHandle {
  /** Resolves once the new tables serve; rejects (`RebuildInProgressError` among others) when the rebuild did not happen. */
  done: Promise<RebuildResult>;
  progress(): RebuildProgress;
}

/**
 * Rebuilds one SQL projection without downtime: builds its tables anew from
 * position 0 in a schema of their own while the live ones keep serving reads and
 * the runner keeps them current, then swaps them in atomically (see
 * `switchTables`). Refuses synchronously a projection without tables, or one that
 * this process is already rebuilding; another process's rebuild of it makes
 * `done` reject with `RebuildInProgressError`.
 */
export function startProjectionRebuild(options: RebuildOptions): RebuildHandle {
  const { sql, projection } = options;
  if ((projection.tables ?? []).length === 0) throw new NotRebuildableError(projection.name);
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
  let schema: string | undefined;
  try {
    schema = await createShadowSchema(sql, projection);
    logger?.info({ projection: projection.name, schema }, 'rebuild started');
    let position = 0n;
    let applied = 0;
    let parked = 0;
    const catchUp = async (upTo: bigint) => {
      const base = { applied, parked };
      const reached = await catchUpShadow({
        sql,
        eventStore,
        projection,
        schema: schema!,
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
      // Read beyond the live checkpoint (the runner may move on before the switch locks it), but
      // never past the head read first: a read claims everything up to `upTo`, and an event
      // appended after it, below `upTo`, would be skipped.
      const head = await eventStore.headPosition();
      const ahead = live + SWITCH_WITHIN_POSITIONS;
      const upTo = head < ahead ? (head > live ? head : live) : ahead;
      const pending: RecordedEvent[] = [];
      let pendingScannedTo = position;
      for await (const page of readLogPages(eventStore, projection, position, upTo)) {
        pending.push(...page.events);
        pendingScannedTo = page.scannedTo;
      }
      report({ phase: 'switching', target: live });
      try {
        const switched = await switchTables(sql, {
          projection,
          schema,
          shadowPosition: position,
          pending,
          pendingScannedTo,
          toVersion: options.toVersion,
          lease,
          // PGlite has one connection, busy with the switch's own transaction.
          readMore:
            sql.engine === 'postgres'
              ? (after, upTo) => readEvents(eventStore, projection, after, upTo)
              : undefined,
        });
        applied += switched.applied;
        parked += switched.parked;
        report({ position: switched.position, target: switched.position, applied, parked });
        const seconds = (performance.now() - started) / 1000;
        logger?.info(
          { projection: projection.name, position: String(switched.position), applied, parked, seconds },
          'rebuild switched to the new tables',
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
    if (schema) await dropShadowSchema(sql, schema).catch(() => undefined);
    logger?.warn({ err: error, projection: projection.name }, 'rebuild failed; the live tables stay');
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

async function readEvents(
  eventStore: EventStore,
  projection: Projection,
  after: bigint,
  upTo: bigint,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const page of readLogPages(eventStore, projection, after, upTo)) events.push(...page.events);
  return events;
}
