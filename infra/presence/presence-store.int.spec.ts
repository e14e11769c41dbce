import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { createMemoryPresenceStore } from './memory.presence-store.js';
import { presenceStoreConformance } from './presence-store.conformance.js';
import { createRedisPresenceStore } from './redis.presence-store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_MS = 30_000;
/** Keys of this file only: parallel files never see each other's. */
const keyPrefix = `parley:test:presence:${randomUUID()}:`;

presenceStoreConformance('memory', TTL_MS, async () => createMemoryPresenceStore(TTL_MS));
presenceStoreConformance('redis', TTL_MS, () =>
  createRedisPresenceStore({ url: REDIS_URL, keyPrefix, ttlMs: TTL_MS }),
);

afterAll(async () => {
  // Last-seen keys would otherwise stay for their 30 days.
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.unlink(...keys);
  redis.disconnect();
});
