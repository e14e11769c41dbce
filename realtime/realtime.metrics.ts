import { Counter, Gauge, type Registry } from 'prom-client';

/** The WebSocket's health as Prometheus sees it, registered on the process's registry. */
export function createRealtimeMetrics(registry: Registry) {
  return {
    connections: new Gauge({
      name: 'parley_ws_connections',
      help: 'Open WebSocket connections on this node',
      registers: [registry],
    }),
    closes: new Counter({
      name: 'parley_ws_closed_by_server_total',
      help: 'Connections the server closed, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'parley_ws_rate_limited_frames_total',
      help: 'Client frames refused with rate_limited',
      registers: [registry],
    }),
  };
}

export type RealtimeMetrics = ReturnType<typeof createRealtimeMetrics>;
