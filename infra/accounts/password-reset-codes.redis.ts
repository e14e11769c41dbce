import type { PasswordResetCodeStore } from '../../commands/accounts/password-reset-codes.js';
import type { Logger } from '../logging/logger.js';
import { connectRedis } from '../redis/connect-redis.js';

/** Compare-and-delete in one step, so two confirmations cannot both spend one code. */
const TAKE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Codes in Redis under `keyPrefix<userId>`, expired by Redis itself (PX). */
export async function createRedisPasswordResetCodeStore(options: {
  url: string;
  keyPrefix: string;
  logger?: Logger;
}): Promise<PasswordResetCodeStore> {
  const redis = await connectRedis(options.url, {
    purpose: 'password reset codes',
    logger: options.logger,
  });
  const keyOf = (userId: string) => `${options.keyPrefix}${userId}`;
  return {
    async put(userId, codeHash, ttlSeconds) {
      await redis.set(keyOf(userId), codeHash, 'PX', ttlSeconds * 1000);
    },
    async get(userId) {
      return (await redis.get(keyOf(userId))) ?? undefined;
    },
    async take(userId, codeHash) {
      const deleted = await redis.eval(TAKE_SCRIPT, 1, keyOf(userId), codeHash);
      return deleted === 1;
    },
    async close() {
      redis.disconnect();
    },
  };
}
