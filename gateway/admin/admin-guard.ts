import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { HttpError } from '../http-errors.js';

export interface AdminGuardDeps {
  /** PARLEY_ADMINS, lowercased like usernames. */
  admins: readonly string[];
  /**
   * The current username of an account, `undefined` once it is gone. Read from the
   * accounts table, not from the token: a token outlives its account, and a username
   * freed by a removed account can be taken by someone else while it is still valid.
   */
  usernameOf(userId: string): Promise<string | undefined>;
}

/** Exactly what an unknown route answers (gateway/app.ts's not-found handler). */
const notFound = () => new HttpError('not_found', 'not found');

/**
 * A `preValidation` hook for `/v1/admin/*`: anyone but a configured administrator —
 * no token, a bad or expired one, any other user — gets the 404 of a route that
 * does not exist. Placed where it answers exactly like one: fastify parses the body
 * of any request, known route or not (malformed JSON is a 400 on an unknown route
 * too), but validates the query and params only on a route's own schema, so the
 * guard runs after parsing and before validation. No per-user rate limit either:
 * an unknown route has none. On success `request.user` is the administrator.
 */
export function adminGuard(deps: AdminGuardDeps): preValidationAsyncHookHandler {
  const admins = new Set(deps.admins);
  return async (request: FastifyRequest) => {
    if (admins.size === 0) throw notFound();
    try {
      await authenticate(request);
    } catch (error) {
      // Only the token's refusals become a 404; a wiring mistake stays a 500.
      if (error instanceof HttpError) throw notFound();
      throw error;
    }
    const username = await deps.usernameOf(request.user.id);
    if (username === undefined || !admins.has(username)) throw notFound();
  };
}
