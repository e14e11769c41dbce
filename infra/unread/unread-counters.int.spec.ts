import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisUnreadCounters } from './redis.unread-counters.js';
import { unreadCountersConformance } from './unread-counters.conformance.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Keys of this test file only: parallel files never see each other's. */
const testPrefix = () => `parley:test:unread:${randomUUID()}:`;

unreadCountersConformance('redis', () =>
  createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: testPrefix() }),
);

describe('unread counters: redis key prefixes', () => {
  const prefix = testPrefix();
  const opened: Awaited<ReturnType<typeof createRedisUnreadCounters>>[] = [];
  afterAll(async () => {
    for (const counters of opened) await counters.clear();
    await Promise.all(opened.map((counters) => counters.close()));
  });

  it('clearing matches its prefix literally, not as a pattern', async () => {
    // As a glob, `[ab]*:` would also match the neighbour's `a-other:`.
    const mine = await createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: `${prefix}[ab]*:` });
    const neighbour = await createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: `${prefix}a-other:` });
    opened.push(mine, neighbour);
    await mine.apply([], 3n);
    await neighbour.apply([], 4n);
    await mine.clear();
    await expect(mine.checkpoint()).resolves.toBe(0n);
    await expect(neighbour.checkpoint()).resolves.toBe(4n);
  });
});
