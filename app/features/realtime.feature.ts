import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { createMemorySignalBroker } from '../../infra/broker/memory.signal-broker.js';
import { createRedisSignalBroker } from '../../infra/broker/redis.signal-broker.js';
import type { SignalBroker } from '../../infra/broker/signal-broker.js';
import { createMemoryPresenceStore } from '../../infra/presence/memory.presence-store.js';
import type { PresenceStore } from '../../infra/presence/presence-store.js';
import { createRedisPresenceStore } from '../../infra/presence/redis.presence-store.js';
import { getConversation } from '../../readmodels/conversations/conversations.query.js';
import { getMessage } from '../../readmodels/messages/messages.query.js';
import { DeliveryReceipts } from '../../realtime/delivery-receipts.js';
import { startHeartbeat } from '../../realtime/heartbeat.js';
import { Hub } from '../../realtime/hub.js';
import type { Connection } from '../../realtime/connection.js';
import type { DeliveredMessage } from '../../realtime/delivery-hook.js';
import { LiveFanout } from '../../realtime/live-fanout.js';
import { getMembershipSnapshot } from '../../readmodels/conversations/membership.query.js';
import { getUsersSharingAConversation } from '../../readmodels/conversations/shared-conversations.query.js';
import { conversationsProjection } from '../../projections/conversations/conversations.projection.js';
import { PresenceTracker } from '../../realtime/presence.js';
import type { RealtimeQueries } from '../../realtime/realtime-queries.js';
import { createRealtimeMetrics } from '../../realtime/realtime.metrics.js';
import { closeAllConnections } from '../../realtime/shutdown.js';
import { socketRequests } from '../../realtime/socket-requests.js';
import { TypingRelay } from '../../realtime/typing.js';
import { webSocketRoute } from '../../realtime/ws.route.js';
import type { Config } from '../../infra/config/config.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { Feature, Infrastructure } from '../compose.js';
import { handleCheckAttachments } from '../../commands/attachments/check-attachments.handler.js';
import { attachmentsOf } from './attachments.shared.js';
import { sharePresenceWithNotifications } from './notifications.feature.js';
import { conversationCommandsOf } from './conversation-commands.shared.js';

/** PROTOCOL.md: typing expires after 6 s without renewal. */
const TYPING_EXPIRY_MS = 6_000;

/** Ephemeral signals and presence: Redis when REDIS_URL is set, else in process. */
async function openSignalEngines(
  config: Config,
  logger: Logger,
): Promise<{ broker: SignalBroker; store: PresenceStore }> {
  const ttlMs = config.PRESENCE_TTL_SECONDS * 1000;
  if (!config.REDIS_URL)
    return { broker: createMemorySignalBroker(logger), store: createMemoryPresenceStore(ttlMs) };
  const options = { url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger };
  return {
    broker: await createRedisSignalBroker(options),
    store: await createRedisPresenceStore({ ...options, ttlMs }),
  };
}

/**
 * The WebSocket (`GET /v1/ws`): commands over the socket, live fan-out from the
 * event log, `sync`, and the ephemeral signals (presence, typing, delivery
 * receipts) that cross nodes through the broker. Needs the accounts feature (the JWT plugin) and the
 * conversations feature (its projections feed the read models read here):
 * list it after both.
 */
export function realtimeFeature() {
  return async (infra: Infrastructure): Promise<Feature> => {
    const { sql, eventStore, projections, config, logger } = infra;
    // `/v1/ws` and everything live behind it are the realtime role's alone.
    if (!infra.roles.has('realtime')) return {};
    const queries: RealtimeQueries = {
      getConversation: (userId, conversationId) => getConversation(sql, userId, conversationId),
      getMessage: (conversationId, messageId) => getMessage(sql, conversationId, messageId),
      getMembershipSnapshot: (userId) => getMembershipSnapshot(sql, userId, conversationsProjection.name),
    };
    const commands = conversationCommandsOf(infra);
    const waitForPosition = (position: bigint) => projections.waitForPosition(position);
    const hub = new Hub();
    const { broker, store } = await openSignalEngines(config, logger);
    // Offline mails go to users this node's presence says are offline.
    sharePresenceWithNotifications(infra, store);
    const checkAttachments = handleCheckAttachments((await attachmentsOf(infra)).deps);
    const presence = new PresenceTracker({
      store,
      broker,
      nodeId: randomUUID(),
      visibleTo: (userId, userIds) => getUsersSharingAConversation(sql, userId, userIds),
      logger,
      graceMs: config.PRESENCE_OFFLINE_GRACE_MS,
      renewMs: (config.PRESENCE_TTL_SECONDS * 1000) / 3,
      maxWatchedUsers: config.WS_PRESENCE_MAX_USERS,
    });
    const typing = new TypingRelay({ hub, broker, expiryMs: TYPING_EXPIRY_MS });
    const receipts = new DeliveryReceipts({ hub, broker, coalesceMs: config.WS_DELIVERY_RECEIPT_WINDOW_MS });
    const onMessageDelivered = (connection: Connection, message: DeliveredMessage) =>
      receipts.delivered(connection.userId, message.conversationId, message.seq, message.senderId);
    const fanout = new LiveFanout({
      eventStore,
      hub,
      queries,
      waitForPosition,
      logger,
      onMessageDelivered,
      onMemberRemoved: (userId, _conversationId, position) =>
        void presence.revoke(userId, () => waitForPosition(position)),
    });
    const metrics = createRealtimeMetrics(infra.metrics.registry);
    let closing = false;
    let stopHeartbeat: (() => void) | undefined;

    /**
     * A snapshot at least as recent as every membership change the fan-out has
     * applied. A read model that lags (a busy node) is brought forward with the
     * fan-out's own record of the changes since; only one older than that record
     * is waited for.
     */
    const loadMembership = async (userId: string) => {
      const position = fanout.position;
      const current = fanout.bringForward(userId, await queries.getMembershipSnapshot(userId), position);
      if (current) return current;
      if (!(await projections.waitForPosition(position)))
        throw new Error(`the read models did not reach position ${position} in time`);
      return queries.getMembershipSnapshot(userId);
    };

    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        webSocketRoute({
          hub,
          handlers: socketRequests({
            checkAttachments,
            commands,
            queries,
            eventStore,
            hub,
            waitForPosition,
            presence,
            typing,
            onMessageDelivered,
          }),
          loadMembership,
          settings: {
            allowedOrigins: config.WS_ALLOWED_ORIGINS,
            sendBufferBytes: config.WS_SEND_BUFFER_BYTES,
            rateLimitPerSecond: config.WS_RATE_LIMIT_PER_SECOND,
            rateLimitBurst: config.WS_RATE_LIMIT_BURST,
            maxConnectionsPerUser: config.WS_MAX_CONNECTIONS_PER_USER,
          },
          metrics,
          logger,
          onConnectionOpen: (connection) => presence.connected(connection),
          onConnectionClose: (connection) => {
            presence.disconnected(connection);
            // The hub has already let the connection go: none left means the user left this node.
            if ([...hub.connectionsOf(connection.userId)].length === 0) typing.userLeft(connection.userId);
          },
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
        presence.start();
        typing.start();
        receipts.start();
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
        typing.stop();
        receipts.stop();
        await presence.stop();
        await Promise.all([broker.close(), store.close()]);
      },
    };
  };
}
