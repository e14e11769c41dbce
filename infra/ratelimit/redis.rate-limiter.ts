import type { Logger } from '../logging/logger.js';
import { connectRedis } from '../redis/connect-redis.js';
import { WINDOW_MS, windowOf, type RateLimiter } from './rate-limiter.js';

/**
 * Counters in Redis, shared by every node: INCR on a key per window, which
 * expires with the window. Any Redis failure lets the request through.
 */
export async function createRedisRateLimiter(
  url: string,
  logger?: Logger,
  now: () => number = Date.now,
  /** Every counter's key starts with it (REDIS_KEY_PREFIX + 'rl:'). */
  keyPrefix = 'parley:rl:',
): Promise<RateLimiter> {
  // While Redis is away, hits fail fast and pass.
  const redis = await connectRedis(url, { purpose: 'rate limiter', logger, commandTimeoutMs: 1_000 });
  return {
    async hit(key, limit) {
      const window = windowOf(now());
      const redisKey = `${keyPrefix}${key}:${window.index}`;
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
