import type { FastifyPluginAsync } from 'fastify';
import { handleMuteConversation } from '../../commands/notifications/mute-conversation.handler.js';
import { requireUser } from '../../gateway/auth/authenticate.js';
import { muteRoute } from '../../gateway/conversations/mute.route.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import { openMailer } from '../../infra/mail/open-mailer.js';
import { userPresenceOf } from '../../infra/notifications/presence-store.user-presence.js';
import { createSqlConversationMutes } from '../../infra/notifications/sql.conversation-mutes.js';
import type { PresenceStore } from '../../infra/presence/presence-store.js';
import { createRedisPresenceStore } from '../../infra/presence/redis.presence-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { DigestScheduler } from '../../projections/notifications/digest-scheduler.js';
import { notificationsMigrations } from '../../projections/notifications/notifications.schema.js';
import { nobodyOnline, type UserPresence } from '../../projections/notifications/user-presence.js';
import { isMember } from '../../readmodels/conversations/conversations.query.js';
import type { Feature, Infrastructure } from '../compose.js';

export interface NotificationsFeatureOptions {
  /** Who is online; defaults to the realtime side's presence (see `sharePresenceWithNotifications`). */
  presence?: UserPresence;
  /** Tests pass a clock ahead of time, so messages are "old" without waiting. */
  clock?: () => Date;
  /** False: no timer; rounds run only through `notificationsOf(infra).runOnce()` (tests). */
  schedule?: boolean;
  mailer?: Mailer;
}

export interface NotificationsService {
  /** One planner-and-sender round now; resolves to what it did. */
  runOnce(): Promise<{ planned: number; sent: number }>;
}

const services = new WeakMap<Infrastructure, NotificationsService>();
const presenceStores = new WeakMap<Infrastructure, PresenceStore>();

/** The composed app's notifications, once wired (tests and tools). */
export function notificationsOf(infra: Infrastructure): NotificationsService | undefined {
  return services.get(infra);
}

/**
 * The seam to the realtime side: its feature calls this with the presence store
 * it keeps (listed before this feature), and the digests skip users it says are
 * online. Without it, server mode reads the same Redis keys itself; embedded mode
 * (whose store lives in the realtime feature's memory) then counts everyone offline.
 */
export function sharePresenceWithNotifications(infra: Infrastructure, store: PresenceStore): void {
  presenceStores.set(infra, store);
}

async function openPresence(
  infra: Infrastructure,
): Promise<{ presence: UserPresence; close(): Promise<void> }> {
  const shared = presenceStores.get(infra);
  if (shared) return { presence: userPresenceOf(shared), close: async () => undefined };
  const { config, logger } = infra;
  if (!config.REDIS_URL) {
    logger.warn(
      'offline notifications: no presence shared by the realtime feature; everyone counts as offline',
    );
    return { presence: nobodyOnline, close: async () => undefined };
  }
  const store = await createRedisPresenceStore({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    // Only read here: the TTL is the writers' business.
    ttlMs: 60_000,
    logger,
  });
  return { presence: userPresenceOf(store), close: () => store.close() };
}

/**
 * Offline notifications: `PUT/DELETE /v1/conversations/:id/mute` and the digest
 * scheduler (planner → outbox → sender) over the conversations read models. Needs
 * the accounts feature (auth, the accounts table) and the conversations feature
 * (the read models it reads): list it after both, and after realtime.
 */
export function notificationsFeature(options: NotificationsFeatureOptions = {}) {
  return async (infra: Infrastructure): Promise<Feature> => {
    const { config, logger, sql, roles } = infra;
    await migrate(sql, 'notifications', notificationsMigrations);
    const muteConversation = handleMuteConversation({
      mutes: createSqlConversationMutes(sql),
      isMember: (userId, conversationId) => isMember(sql, userId, conversationId),
    });
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        muteRoute({
          muteConversation,
          authenticate: app.authenticate,
          callerId: (request) => requireUser(request).id,
        }),
      );
    };
    const api = roles.has('api') ? routes : undefined;
    // The digests are projection work: only a process with the projector role opens a mailer for them.
    if (!roles.has('projector')) return { routes: api };

    const mailer = options.mailer ?? openMailer(config, logger);
    const opened = options.presence
      ? { presence: options.presence, close: async () => undefined }
      : await openPresence(infra);
    const scheduler = new DigestScheduler({
      sql,
      mailer,
      logger,
      presence: opened.presence,
      settings: {
        delaySeconds: config.NOTIFY_DELAY_SECONDS,
        intervalSeconds: config.NOTIFY_INTERVAL_SECONDS,
      },
      clock: options.clock,
    });
    services.set(infra, { runOnce: () => scheduler.runOnce() });

    return {
      routes: api,
      // Every instance could plan safely (the planners take turns on a lock); the holder
      // of the projector lock alone does, so the rounds follow the projections around.
      projector:
        options.schedule === false
          ? undefined
          : {
              start: async () => scheduler.start(),
              stop: () => scheduler.stop(),
            },
      async stop() {
        await scheduler.stop();
        await opened.close();
        if (!options.mailer) await mailer.close();
      },
    };
  };
}
