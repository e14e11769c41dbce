import type { FastifyRequest } from 'fastify';
import type { RateLimiter } from '../../infra/ratelimit/rate-limiter.js';
import { HttpError } from '../http-errors.js';

const UNLIMITED = /^\/(health|ready|metrics|docs)(\/|$|\?)/;

export interface RateLimits {
  limiter: RateLimiter;
  perIpPerMinute: number;
  perUserPerMinute: number;
}

async function enforce(limits: RateLimits, key: string, limit: number): Promise<void> {
  const decision = await limits.limiter.hit(key, limit);
  if (!decision.allowed) {
    throw new HttpError('rate_limited', 'too many requests; slow down', decision.retryAfterSeconds);
  }
}

/** Per source address, on every request but health, readiness, metrics and docs. */
export function limitByIp(limits: RateLimits) {
  return async (request: FastifyRequest): Promise<void> => {
    if (UNLIMITED.test(request.url)) return;
    await enforce(limits, `ip:${request.ip}`, limits.perIpPerMinute);
  };
}

/** Per authenticated user: call once the caller is known. */
export function limitByUser(limits: RateLimits, userId: string): Promise<void> {
  return enforce(limits, `user:${userId}`, limits.perUserPerMinute);
}
