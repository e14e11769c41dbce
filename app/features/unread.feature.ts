import { createRedisUnreadCounters } from '../../infra/unread/redis.unread-counters.js';
import { UnreadProjector } from '../../projections/unread/unread.projector.js';
import type { Feature, Infrastructure } from '../compose.js';

/** The unread counters' query side, for routes and the WebSocket. */
export interface UnreadQueries {
  /** `userId`'s unread messages in the conversation, or null when they are not a member. */
  unreadCount(userId: string, conversationId: string): Promise<number | null>;
  /** True once the counters include the event at `position` (read-your-writes); false after `timeoutMs`. */
  waitForPosition(position: bigint, timeoutMs?: number): Promise<boolean>;
}

export interface UnreadService {
  queries: UnreadQueries;
  /** Drops the counters and replays the log (see `UnreadProjector.rebuild`). */
  rebuild(): Promise<void>;
}

type UnreadInfrastructure = Pick<Infrastructure, 'config' | 'eventStore' | 'logger'> &
  Partial<Pick<Infrastructure, 'roles'>>;

const perApp = new WeakMap<UnreadInfrastructure, UnreadService>();

/** The unread counters of a composed app, once its unread feature is wired. */
export function unreadOf(infra: UnreadInfrastructure): UnreadService | undefined {
  return perApp.get(infra);
}

/**
 * Unread counters kept from the log in Redis (`REDIS_URL`, shared by every node,
 * under `REDIS_KEY_PREFIX`), for whatever reads them there. Parley's own answers
 * (REST, WebSocket) take `unreadCount` from the read model, which the counters
 * must agree with. Without Redis nothing is kept: a copy in process was read by
 * no one and replayed the whole log at every start. The projector is projection
 * work: it runs where the projections run (the projector lock's holder).
 */
export function unreadFeature() {
  return async (infra: UnreadInfrastructure): Promise<Feature> => {
    const { config, eventStore, logger } = infra;
    if (!config.REDIS_URL || (infra.roles && !infra.roles.has('projector'))) return {};
    const counters = await createRedisUnreadCounters({
      url: config.REDIS_URL,
      keyPrefix: `${config.REDIS_KEY_PREFIX}unread:`,
      logger,
    });
    const projector = new UnreadProjector({ eventStore, counters, logger });
    perApp.set(infra, {
      queries: {
        async unreadCount(userId, conversationId) {
          const state = await counters.readState(userId, conversationId);
          return state?.unreadCount ?? null;
        },
        waitForPosition: (position, timeoutMs) => projector.waitForPosition(position, timeoutMs),
      },
      rebuild: () => projector.rebuild(),
    });
    return {
      // Reading the checkpoint is a round trip to Redis: what /ready needs to know. Not
      // required: presence, typing, counters and rate limits degrade without it, chat goes on.
      readiness: [
        { name: 'redis', required: false, check: () => counters.checkpoint().then(() => undefined) },
      ],
      projector: {
        start: () => projector.start(),
        stop: () => projector.stop(),
      },
      async stop() {
        // Stopped already when the app closes; here for a feature stopped on its own (tests).
        await projector.stop();
        await counters.close();
      },
    };
  };
}
