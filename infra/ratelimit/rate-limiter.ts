/**
 * Counts requests per key in fixed one-minute windows. Engines: in process (one
 * node) and Redis (shared by every node). A limiter that cannot reach its store
 * lets the request through: rate limiting must never take the chat down.
 */
export interface RateLimiter {
  /** Counts one hit for `key`; says whether it is within `limit` for the current window. */
  hit(key: string, limit: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (for `Retry-After`). */
  retryAfterSeconds: number;
}

export const WINDOW_MS = 60_000;

export function windowOf(now: number): { index: number; retryAfterSeconds: number } {
  const index = Math.floor(now / WINDOW_MS);
  return { index, retryAfterSeconds: Math.max(1, Math.ceil(((index + 1) * WINDOW_MS - now) / 1000)) };
}
