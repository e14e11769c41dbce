import { Registry, collectDefaultMetrics, Histogram, Counter, Gauge } from 'prom-client';

/** One registry per process, so that tests starting several servers in one process do not collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    commandDuration: new Histogram({
      name: 'parley_command_duration_seconds',
      help: 'Command handling duration by command and outcome',
      labelNames: ['command', 'outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    appends: new Counter({
      name: 'parley_event_appends_total',
      help: 'Appends to the event store by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    projectionLagEvents: new Gauge({
      name: 'parley_projection_lag_events',
      help: 'Events between the log head and the projection checkpoint',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    projectionLagSeconds: new Gauge({
      name: 'parley_projection_lag_seconds',
      help: 'Age of the newest event the projection has not applied yet (0 when caught up)',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
    projectionParked: new Gauge({
      name: 'parley_projection_parked_events',
      help: 'Events parked after failing every retry',
      labelNames: ['projection'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
