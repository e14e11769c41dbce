import type { Projection } from '../projections/projection.js';
import { ProjectionRunner, type ProjectionStatus } from '../projections/runner/projection-runner.js';
import type { EventStore } from '../infra/eventstore/event-store.js';
import type { Logger } from '../infra/logging/logger.js';
import type { Metrics } from '../infra/metrics/metrics.js';
import type { SqlClient } from '../infra/sql/sql-client.js';

/**
 * Collects the projections features contribute while the app is composed, then
 * runs them all from one runner. Commands wait on it for read-your-writes.
 */
export class ProjectionHub {
  private readonly projections: Projection[] = [];
  private runner: ProjectionRunner | undefined;

  constructor(
    private readonly deps: { sql: SqlClient; eventStore: EventStore; metrics: Metrics; logger: Logger },
  ) {}

  register(...projections: Projection[]): void {
    if (this.runner) throw new Error('projections must be registered before the hub starts');
    this.projections.push(...projections);
  }

  /** True once every projection has applied the event at `position`; false after `timeoutMs`. */
  waitForPosition = (position: bigint, timeoutMs = 5_000): Promise<boolean> => {
    if (!this.runner) return Promise.resolve(false);
    return this.runner.waitForPosition(position, timeoutMs);
  };

  status(): Promise<ProjectionStatus[]> {
    return this.runner ? this.runner.status() : Promise.resolve([]);
  }

  async start(): Promise<void> {
    if (this.runner || this.projections.length === 0) return;
    this.runner = new ProjectionRunner({ ...this.deps, projections: this.projections });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
  }
}
