import type { Result } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { connectRedis } from '../redis/connect-redis.js';
import type { PresenceState, PresenceStore } from './presence-store.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    parleyUnregisterPresence(
      nodesKey: string,
      seenKey: string,
      nodeId: string,
      nowMs: string,
      nowIso: string,
      seenTtlMs: string,
    ): Result<number, Context>;
  }
}

/** Drops the node, forgets lapsed nodes, records last seen; answers how many nodes still hold the user. */
const UNREGISTER = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return redis.call('ZCARD', KEYS[1])
`;

/** Last-seen times outlive a session by far, but not forever. */
const SEEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface RedisPresenceStoreOptions {
  url: string;
  /** REDIS_KEY_PREFIX: keys are `<prefix>presence:n:<userId>` and `<prefix>presence:seen:<userId>`. */
  keyPrefix: string;
  ttlMs: number;
  logger?: Logger;
}

/**
 * Per user, a sorted set of the nodes holding them, scored by when each
 * registration lapses (the key itself expires with the last one), and a
 * last-seen string. Online = a member scored in the future: a crashed node's
 * entries lapse by themselves. Fails fast while Redis is away.
 */
export async function createRedisPresenceStore(options: RedisPresenceStoreOptions): Promise<PresenceStore> {
  const nodesKey = (userId: string) => `${options.keyPrefix}presence:n:${userId}`;
  const seenKey = (userId: string) => `${options.keyPrefix}presence:seen:${userId}`;
  const redis = await connectRedis(options.url, { purpose: 'presence store', logger: options.logger });
  redis.defineCommand('parleyUnregisterPresence', { numberOfKeys: 2, lua: UNREGISTER });

  return {
    engine: 'redis',
    async register(nodeId, userIds, now) {
      if (userIds.length === 0) return;
      const expiresAt = now.getTime() + options.ttlMs;
      const pipeline = redis.pipeline();
      for (const userId of userIds) {
        pipeline.zadd(nodesKey(userId), expiresAt, nodeId);
        pipeline.pexpire(nodesKey(userId), options.ttlMs);
      }
      throwFirstError(await pipeline.exec());
    },
    async unregister(nodeId, userId, now) {
      const remaining = await redis.parleyUnregisterPresence(
        nodesKey(userId),
        seenKey(userId),
        nodeId,
        String(now.getTime()),
        now.toISOString(),
        String(SEEN_TTL_MS),
      );
      return remaining > 0;
    },
    async read(userIds, now) {
      const pipeline = redis.pipeline();
      for (const userId of userIds) {
        pipeline.zcount(nodesKey(userId), `(${now.getTime()}`, '+inf');
        pipeline.get(seenKey(userId));
      }
      const results = throwFirstError(await pipeline.exec());
      const states = new Map<string, PresenceState>();
      userIds.forEach((userId, index) => {
        const online = Number(results[index * 2]) > 0;
        const seen = results[index * 2 + 1];
        states.set(userId, {
          status: online ? 'online' : 'offline',
          lastSeenAt: online || typeof seen !== 'string' ? null : seen,
        });
      });
      return states;
    },
    async close() {
      redis.disconnect();
    },
  };
}

function throwFirstError(results: [Error | null, unknown][] | null): unknown[] {
  const failure = results?.find(([error]) => error !== null)?.[0];
  if (failure) throw failure;
  return (results ?? []).map(([, value]) => value);
}
