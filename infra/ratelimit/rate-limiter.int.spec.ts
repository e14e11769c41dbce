import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from './memory.rate-limiter.js';
import { createRedisRateLimiter } from './redis.rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each([
  ['memory', async (now: () => number) => createMemoryRateLimiter(now)],
  ['redis', (now: () => number) => createRedisRateLimiter(REDIS_URL, undefined, now)],
] as const)('rate limiter: %s', (_engine, create) => {
  const limiters: RateLimiter[] = [];
  afterAll(async () => {
    await Promise.all(limiters.map((limiter) => limiter.close()));
  });

  it('allows up to the limit in a window, then refuses with the seconds left', async () => {
    let clock = 1_000_000 * 60_000 + 15_000;
    const limiter = await create(() => clock);
    limiters.push(limiter);
    const key = randomUUID();
    const decisions = [];
    for (let index = 0; index < 4; index++) decisions.push(await limiter.hit(key, 3));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]!.retryAfterSeconds).toBe(45);
    clock += 45_000; // the next window
    expect((await limiter.hit(key, 3)).allowed).toBe(true);
  });

  it('counts keys apart', async () => {
    const limiter = await create(() => Date.now());
    limiters.push(limiter);
    const [a, b] = [randomUUID(), randomUUID()];
    expect((await limiter.hit(a, 1)).allowed).toBe(true);
    expect((await limiter.hit(a, 1)).allowed).toBe(false);
    expect((await limiter.hit(b, 1)).allowed).toBe(true);
  });
});

describe('rate limiter: redis unreachable', () => {
  it('lets requests through rather than failing them', async () => {
    const limiter = await createRedisRateLimiter('redis://127.0.0.1:1');
    const decision = await limiter.hit(randomUUID(), 0);
    expect(decision.allowed).toBe(true);
    await limiter.close();
  });
});
