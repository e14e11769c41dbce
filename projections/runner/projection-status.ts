import type { EventStore } from '../../infra/eventstore/event-store.js';
import type { Metrics } from '../../infra/metrics/metrics.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../projection.js';
import { readCheckpoints } from './checkpoints.js';
import { countParked } from './parked-events.js';

/** One projection as `GET /v1/admin/projections` shows it. */
export interface ProjectionStatus {
  name: string;
  version: number;
  /** The global position of the last event it committed, as a decimal string (positions are 64-bit). */
  checkpoint: string;
  /** Positions between the log's head and the checkpoint (events, on the SQL engines). */
  lagEvents: number;
  /** Age of the oldest event it has not applied yet; 0 when caught up. */
  lagSeconds: number;
  parked: number;
  /** `rebuilding`: the projection hub is building its next version beside it (`projections/rebuild`). */
  status: 'running' | 'stopped' | 'catching_up' | 'rebuilding';
}

/** Reads checkpoints, parked counts and the head, and measures each projection's lag. */
export async function readProjectionStatus(
  db: SqlExecutor,
  eventStore: EventStore,
  projections: readonly Projection[],
  running: boolean,
  now: Date = new Date(),
): Promise<ProjectionStatus[]> {
  const names = projections.map((projection) => projection.name);
  const checkpoints = await readCheckpoints(db, names);
  const parked = await countParked(db, names);
  const head = await eventStore.headPosition();
  // Projections usually share one checkpoint: look up each distinct one once.
  const oldestUnapplied = new Map<bigint, Date | null>();
  for (const { position } of checkpoints.values()) {
    if (position >= head || oldestUnapplied.has(position)) continue;
    const [next] = await eventStore.readAll({ fromPosition: position + 1n, maxCount: 1 });
    oldestUnapplied.set(position, next?.createdAt ?? null);
  }
  return projections.map((projection) => {
    const checkpoint = checkpoints.get(projection.name)?.position ?? 0n;
    const lagEvents = checkpoint < head ? Number(head - checkpoint) : 0;
    const oldest = oldestUnapplied.get(checkpoint);
    const lagSeconds = lagEvents > 0 && oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0;
    return {
      name: projection.name,
      // The version its live tables were built by: a rebuild moves it past the code's.
      version: checkpoints.get(projection.name)?.version ?? projection.version,
      checkpoint: checkpoint.toString(),
      lagEvents,
      lagSeconds,
      parked: parked.get(projection.name) ?? 0,
      status: !running ? 'stopped' : lagEvents > 0 ? 'catching_up' : 'running',
    };
  });
}

export function exportProjectionGauges(metrics: Metrics, statuses: readonly ProjectionStatus[]): void {
  for (const status of statuses) {
    const labels = { projection: status.name };
    metrics.projectionLagEvents.set(labels, status.lagEvents);
    metrics.projectionLagSeconds.set(labels, status.lagSeconds);
    metrics.projectionParked.set(labels, status.parked);
  }
}
