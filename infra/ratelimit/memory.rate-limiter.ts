import { windowOf, type RateLimiter } from './rate-limiter.js';

/** One node's counters; old windows are dropped as soon as the next one starts. */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  let currentWindow = -1;
  let counts = new Map<string, number>();
  return {
    async hit(key, limit) {
      const window = windowOf(now());
      if (window.index !== currentWindow) {
        currentWindow = window.index;
        counts = new Map();
      }
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return { allowed: count <= limit, retryAfterSeconds: window.retryAfterSeconds };
    },
    async close() {
      counts.clear();
    },
  };
}
