import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

/**
 * A Redis connection that fails fast while Redis is away instead of queueing
 * commands behind a reconnect (callers degrade or retry on their own), never hangs
 * a command past `commandTimeoutMs`, and logs its errors rather than leaving them
 * unhandled. Unreachable at start is not fatal: ioredis keeps reconnecting.
 */
export async function connectRedis(
  url: string,
  options: { purpose: string; logger?: Logger; commandTimeoutMs?: number },
): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
  });
  redis.on('error', (error: Error) =>
    options.logger?.warn({ err: error.message }, `${options.purpose}: redis error`),
  );
  await redis.connect().catch(() => undefined);
  return redis;
}
