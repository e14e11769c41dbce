import type { FastifyPluginAsync } from 'fastify';
import { getConversation } from '../../readmodels/conversations/conversations.query.js';
import { getMessage } from '../../readmodels/messages/messages.query.js';
import { startHeartbeat } from '../../realtime/heartbeat.js';
import { Hub } from '../../realtime/hub.js';
import { LiveFanout } from '../../realtime/live-fanout.js';
import { getMembershipSnapshot } from '../../realtime/membership.query.js';
import type { RealtimeQueries } from '../../realtime/realtime-queries.js';
import { createRealtimeMetrics } from '../../realtime/realtime.metrics.js';
import { closeAllConnections } from '../../realtime/shutdown.js';
import { socketRequests } from '../../realtime/socket-requests.js';
import { webSocketRoute } from '../../realtime/ws.route.js';
import type { Feature, Infrastructure } from '../compose.js';
import { conversationCommandsOf } from './conversation-commands.shared.js';

/**
 * The WebSocket (`GET /v1/ws`): commands over the socket, live fan-out from the
 * event log, `sync`. Needs the accounts feature (the JWT plugin) and the
 * conversations feature (its projections feed the read models read here):
 * list it after both.
 */
export function realtimeFeature() {
  return (infra: Infrastructure): Feature => {
    const { sql, eventStore, projections, config, logger } = infra;
    const queries: RealtimeQueries = {
      getConversation: (userId, conversationId) => getConversation(sql, userId, conversationId),
      getMessage: (conversationId, messageId) => getMessage(sql, conversationId, messageId),
      getMembershipSnapshot: (userId) => getMembershipSnapshot(sql, userId),
    };
    const commands = conversationCommandsOf(infra);
    const waitForPosition = (position: bigint) => projections.waitForPosition(position);
    const hub = new Hub();
    const fanout = new LiveFanout({ eventStore, hub, queries, waitForPosition, logger });
    const metrics = createRealtimeMetrics(infra.metrics.registry);
    let closing = false;
    let stopHeartbeat: (() => void) | undefined;

    /** A snapshot at least as recent as every membership change the fan-out has applied. */
    const loadMembership = async (userId: string) => {
      const position = fanout.position;
      if (!(await projections.waitForPosition(position)))
        throw new Error(`the read models did not reach position ${position} in time`);
      return queries.getMembershipSnapshot(userId);
    };

    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        webSocketRoute({
          hub,
          handlers: socketRequests({ commands, queries, eventStore, hub, waitForPosition }),
          loadMembership,
          settings: {
            allowedOrigins: config.WS_ALLOWED_ORIGINS,
            sendBufferBytes: config.WS_SEND_BUFFER_BYTES,
            rateLimitPerSecond: config.WS_RATE_LIMIT_PER_SECOND,
            rateLimitBurst: config.WS_RATE_LIMIT_BURST,
          },
          metrics,
          logger,
          closing: () => closing,
          onServerClose: async () => {
            closing = true;
            await closeAllConnections(hub.connections());
          },
        }),
      );
    };

    return {
      routes,
      async start() {
        await fanout.start();
        stopHeartbeat = startHeartbeat(
          () => hub.connections(),
          config.WS_HEARTBEAT_SECONDS,
          () => metrics.closes.inc({ reason: 'heartbeat' }),
        );
      },
      async stop() {
        closing = true;
        stopHeartbeat?.();
        // Normally done when the server closed; here for a stop without it.
        await closeAllConnections(hub.connections());
        await fanout.stop();
      },
    };
  };
}
