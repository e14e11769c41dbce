import type { Projection } from '../projections/projection.js';
import { ProjectionRunner, type ProjectionStatus } from '../projections/runner/projection-runner.js';
import { readProjectionStatus } from '../projections/runner/projection-status.js';
import type { EventStore } from '../infra/eventstore/event-store.js';
import type { Logger } from '../infra/logging/logger.js';
import type { Metrics } from '../infra/metrics/metrics.js';
import type { SqlClient } from '../infra/sql/sql-client.js';
import { migrate } from '../infra/sql/migrate.js';
import {
  CHECKPOINTS_CHANNEL,
  CheckpointNotifier,
  CheckpointWatcher,
} from '../projections/runner/checkpoint-watcher.js';
import { ensureCheckpoints } from '../projections/runner/checkpoints.js';
import { runnerMigrations } from '../projections/runner/runner.schema.js';
import {
  startProjectionRebuild,
  type RebuildHandle,
  type RebuildProgress,
} from '../projections/rebuild/projection-rebuild.js';
import { UnknownProjectionError } from '../projections/rebuild/rebuild-errors.js';
import { nextTablesVersion } from '../projections/rebuild/tables-version.js';
import { listRebuilding } from '../projections/rebuild/rebuild-lock.js';

/**
 * Collects the projections features contribute while the app is composed, then
 * runs them all from one runner. Commands wait on it for read-your-writes.
 */
export class ProjectionHub {
  private readonly projections: Projection[] = [];
  private runner: ProjectionRunner | undefined;
  /** Shared mode (see `startShared`): waits read the checkpoints whoever projects commits. */
  private watcher: CheckpointWatcher | undefined;
  private notifier: CheckpointNotifier | undefined;
  /** Rebuilds running in this process, by projection name. */
  private readonly rebuilds = new Map<string, { handle: RebuildHandle; abort: AbortController }>();
  /** The stored version (tables' generation) of each projection, as last read or rebuilt here. */
  private readonly knownVersions = new Map<string, number>();

  constructor(
    private readonly deps: { sql: SqlClient; eventStore: EventStore; metrics: Metrics; logger: Logger },
  ) {}

  register(...projections: Projection[]): void {
    if (this.runner) throw new Error('projections must be registered before the hub starts');
    this.projections.push(...projections);
  }

  /** True once every projection has applied the event at `position`; false after `timeoutMs`. */
  waitForPosition = (position: bigint, timeoutMs = 5_000): Promise<boolean> => {
    if (this.watcher) return this.watcher.waitForPosition(position, timeoutMs);
    if (!this.runner) return Promise.resolve(false);
    return this.runner.waitForPosition(position, timeoutMs);
  };

  /** Each projection's checkpoint, lag and parked events; `rebuilding` while any process rebuilds it. */
  async status(): Promise<ProjectionStatus[]> {
    const statuses = await this.liveStatus();
    if (statuses.length === 0) return statuses;
    for (const status of statuses) this.knownVersions.set(status.name, status.version);
    const elsewhere = await listRebuilding(this.deps.sql);
    return statuses.map((status) =>
      this.rebuilds.has(status.name) || elsewhere.has(status.name)
        ? { ...status, status: 'rebuilding' as const }
        : status,
    );
  }

  /** Where each running rebuild is (position reached, target, events applied). */
  rebuildProgress(): RebuildProgress[] {
    return [...this.rebuilds.values()].map(({ handle }) => handle.progress());
  }

  /**
   * Starts rebuilding `name` in the background: its next version is built into new
   * tables from position 0 while the live ones keep serving, then swapped in
   * atomically (`projections/rebuild`). `done` settles when it is over.
   * Throws UnknownProjectionError, RebuildInProgressError, NotRebuildableError; a
   * rebuild of it by another process makes `done` reject with RebuildInProgressError.
   */
  startRebuild(name: string): { name: string; fromVersion: number; toVersion: number; done: Promise<void> } {
    const projection = this.projections.find((candidate) => candidate.name === name);
    if (!projection) throw new UnknownProjectionError(name);
    const fromVersion = this.knownVersions.get(name) ?? projection.version;
    const toVersion = nextTablesVersion(fromVersion, projection.version);
    const abort = new AbortController();
    const handle = startProjectionRebuild({
      sql: this.deps.sql,
      eventStore: this.deps.eventStore,
      projection,
      toVersion,
      logger: this.deps.logger,
      signal: abort.signal,
    });
    this.rebuilds.set(name, { handle, abort });
    const done = handle.done.then(
      () => {
        this.rebuilds.delete(name);
        this.knownVersions.set(name, toVersion);
      },
      (error: unknown) => {
        this.rebuilds.delete(name);
        throw error;
      },
    );
    return { name, fromVersion, toVersion, done };
  }

  private liveStatus(): Promise<ProjectionStatus[]> {
    if (this.runner) return this.runner.status();
    // Another process projects (or none does yet): the shared checkpoints tell how far they are.
    if (this.watcher)
      return readProjectionStatus(this.deps.sql, this.deps.eventStore, this.projections, true);
    return Promise.resolve([]);
  }

  /** Runs the projections in this process from now on: the embedded mode, where one process does everything. */
  async start(): Promise<void> {
    if (this.runner || this.projections.length === 0) return;
    this.runner = this.createRunner();
    await this.runner.start();
  }

  /**
   * For a process that shares its database with other Parley processes: creates the
   * tables and checkpoints (readers may start before any projector), and from now on
   * waits on the checkpoints in the database, which ever process commits them. The
   * projections run here only between `startProjecting` and `stopProjecting`, which
   * the projector lock calls while this process holds it.
   */
  async startShared(): Promise<void> {
    if (this.watcher || this.runner) return;
    const { sql, logger } = this.deps;
    await migrate(sql, 'projection-runner', runnerMigrations);
    for (const projection of this.projections)
      await migrate(sql, `projection:${projection.name}`, projection.migrations);
    for (const [name, stored] of await ensureCheckpoints(sql, this.projections))
      this.knownVersions.set(name, stored.version);
    this.notifier = new CheckpointNotifier(sql, logger);
    this.watcher = new CheckpointWatcher({
      sql,
      names: this.projections.map((projection) => projection.name),
      logger,
    });
    await this.watcher.start();
  }

  /** Shared mode: this process took the projector lock. Resolves once the runner runs. */
  async startProjecting(): Promise<void> {
    if (this.projections.length === 0) return;
    this.runner ??= this.createRunner();
    await this.runner.start();
  }

  /** Shared mode: the lock is lost or given up. Resolves once the batch in flight committed (or failed). */
  async stopProjecting(): Promise<void> {
    await this.runner?.stop();
    await this.notifier?.flush();
  }

  async stop(): Promise<void> {
    // A rebuild in flight is abandoned: the live tables stay, its shadow ones are dropped.
    for (const { abort } of this.rebuilds.values()) abort.abort();
    await Promise.allSettled([...this.rebuilds.values()].map(({ handle }) => handle.done));
    await this.stopProjecting();
    await this.watcher?.stop();
  }

  private createRunner(): ProjectionRunner {
    return new ProjectionRunner({
      ...this.deps,
      projections: this.projections,
      // Batches NOTIFY within their own commit; the rest (parking, held-back catch-ups) after it.
      ...(this.notifier ? { notifyChannel: CHECKPOINTS_CHANNEL } : {}),
      onCommitted: (lowest, notified) => {
        this.watcher?.advanced(lowest);
        if (!notified) this.notifier?.notify(lowest);
      },
    });
  }
}
