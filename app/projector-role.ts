import type { Config } from '../infra/config/config.js';
import type { Logger } from '../infra/logging/logger.js';
import { openPostgresAdvisoryLockSession } from '../infra/sql/postgres.advisory-lock-session.js';
import type { SqlClient } from '../infra/sql/sql-client.js';
import { ProjectorLock } from '../projections/runner/projector-lock.js';
import type { ProjectionHub } from './projection-hub.js';
import type { Roles } from './roles.js';

/** The advisory lock's name (hashed into its key); one per database. */
export const PROJECTOR_LOCK_NAME = 'parley_projector';
/** What the lock's connection calls itself in pg_stat_activity. */
export const PROJECTOR_LOCK_APPLICATION_NAME = 'parley-projector-lock';

interface ProjectorWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ProjectorRoleDeps {
  config: Pick<Config, 'DATABASE_URL' | 'PROJECTOR_LOCK_RETRY_MS'>;
  sql: SqlClient;
  logger: Logger;
  roles: Roles;
  projections: ProjectionHub;
  /** The features' projection-like work (`Feature.projector`), in start order. */
  work: readonly ProjectorWork[];
}

/** What `/ready` says about projecting in this process. */
export interface ProjectorState {
  /** True while this process applies the projections. */
  running: boolean;
  /** `held`/`standby`: the projector lock; `none`: embedded (one process), or no projector role. */
  lock: 'held' | 'standby' | 'none';
}

export interface ProjectorRole {
  start(): Promise<void>;
  /** Stops the projections after their batch in flight (checkpoints saved), then releases the lock. */
  stop(): Promise<void>;
  state(): ProjectorState;
}

/**
 * Decides where the projections run for this process:
 *
 * - embedded (PGlite): here, always; no other process can open the data folder;
 * - a shared PostgreSQL with the projector role: here while this process holds the
 *   projector lock, and waits read the shared checkpoints either way;
 * - without the projector role: never here; waits read the shared checkpoints.
 */
export function projectorRole(deps: ProjectorRoleDeps): ProjectorRole {
  const { config, sql, logger, roles, projections, work } = deps;
  let running = false;

  const startWork = async () => {
    running = true;
    await projections.startProjecting();
    for (const piece of work) await piece.start();
  };
  const stopWork = async () => {
    running = false;
    // The runner first and without waiting for the rest: it must stop taking batches now.
    const stopping = [projections.stopProjecting(), ...[...work].reverse().map((piece) => piece.stop())];
    const outcomes = await Promise.allSettled(stopping);
    for (const outcome of outcomes)
      if (outcome.status === 'rejected')
        logger.error({ err: outcome.reason }, 'projection work did not stop cleanly');
  };

  if (sql.engine === 'pglite') {
    return {
      async start() {
        running = true;
        await projections.start();
        for (const piece of work) await piece.start();
      },
      async stop() {
        if (running) await stopWork();
      },
      state: () => ({ running, lock: 'none' }),
    };
  }

  const connectionString = config.DATABASE_URL;
  const lock =
    roles.has('projector') && connectionString
      ? new ProjectorLock({
          open: () =>
            openPostgresAdvisoryLockSession({
              connectionString,
              name: PROJECTOR_LOCK_NAME,
              applicationName: PROJECTOR_LOCK_APPLICATION_NAME,
            }),
          retryMs: config.PROJECTOR_LOCK_RETRY_MS,
          logger,
          acquired: startWork,
          released: stopWork,
        })
      : undefined;
  return {
    async start() {
      await projections.startShared();
      if (lock) {
        await lock.start();
        if (!lock.held) logger.info('projector on standby: another process holds the projector lock');
      }
    },
    async stop() {
      await lock?.stop();
    },
    state: () => ({ running, lock: !lock ? 'none' : lock.held ? 'held' : 'standby' }),
  };
}
