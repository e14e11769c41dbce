import { createHash } from 'node:crypto';
import type { RateLimiter } from '../../infra/ratelimit/rate-limiter.js';
import { HttpError } from '../http-errors.js';

export interface LoginThrottleOptions {
  limiter: RateLimiter;
  /** Attempts per minute on one account, from anywhere: slows guessing one password from many addresses. */
  perAccountPerMinute: number;
  /** Attempts per minute from one address, on any account: slows spraying one password over many accounts. */
  perIpPerMinute: number;
}

/** The key of an identifier as typed: case and spaces do not make a new account to guess at. */
function accountKey(identifier: string): string {
  // Hashed: the shared limiter (Redis) never holds emails in clear.
  const digest = createHash('sha256').update(identifier.trim().toLowerCase()).digest('base64url');
  return `login:account:${digest}`;
}

/**
 * Counts a sign-in attempt against its account and its source address, before the
 * password is checked, and answers `rate_limited` (with Retry-After) past either
 * limit. Every attempt counts, right or wrong, and unknown accounts count like
 * known ones, so the answer never tells whether an account exists.
 */
export function createLoginThrottle(options: LoginThrottleOptions) {
  return async (identifier: string, ip: string): Promise<void> => {
    const [byAccount, byIp] = await Promise.all([
      options.limiter.hit(accountKey(identifier), options.perAccountPerMinute),
      options.limiter.hit(`login:ip:${ip}`, options.perIpPerMinute),
    ]);
    const refused = [byAccount, byIp].filter((decision) => !decision.allowed);
    if (refused.length === 0) return;
    const retryAfter = Math.max(...refused.map((decision) => decision.retryAfterSeconds));
    throw new HttpError('rate_limited', 'too many sign-in attempts; try again later', retryAfter);
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
