import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { WINDOW_MS, windowOf, type RateLimiter } from './rate-limiter.js';

/**
 * Counters in Redis, shared by every node: INCR on a key per window, which
 * expires with the window. Any Redis failure lets the request through.
 */
export async function createRedisRateLimiter(
  url: string,
  logger?: Logger,
  now: () => number = Date.now,
): Promise<RateLimiter> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Fail fast while Redis is down instead of queueing hits behind a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  redis.on('error', (error: Error) => logger?.warn({ err: error.message }, 'rate limiter: redis error'));
  // Unreachable at start is not fatal: ioredis keeps reconnecting, and hits pass meanwhile.
  await redis.connect().catch(() => undefined);
  return {
    async hit(key, limit) {
      const window = windowOf(now());
      const redisKey = `parley:rl:${key}:${window.index}`;
      try {
        const [[, count]] = (await redis
          .multi()
          .incr(redisKey)
          .pexpire(redisKey, WINDOW_MS * 2)
          .exec()) as [[Error | null, number], [Error | null, number]];
        return { allowed: count <= limit, retryAfterSeconds: window.retryAfterSeconds };
      } catch {
        return { allowed: true, retryAfterSeconds: window.retryAfterSeconds };
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
