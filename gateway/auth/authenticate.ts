import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../http-errors.js';
import { accountStillExists, verifyAccessToken, type AuthenticatedUser } from './access-token.js';

export type { AuthenticatedUser } from './access-token.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * A preHandler for routes that need a signed-in user: it verifies
 * `Authorization: Bearer <accessToken>` and sets `request.user = { id, username }`,
 * or answers 401. Use it in a plugin's own scope:
 *
 *   app.addHook('preHandler', authenticate);
 *
 * It finds the JWT key through `request.server`, so it works in any plugin once the
 * accounts feature has registered the auth plugin (at the root), whatever the order
 * the plugins were registered in.
 */
export async function authenticate(request: FastifyRequest): Promise<void> {
  if (!request.server.jwt) throw new Error('authenticate needs the auth plugin (the accounts feature)');
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match?.[1]) throw unauthorized('a bearer access token is required');
  const user = verifyAccessToken(request.server, match[1]);
  if (!user) throw unauthorized('the access token is invalid or expired');
  // The same answer as a bad token: the caller learns nothing about the account.
  if (!(await accountStillExists(request.server, user.id)))
    throw unauthorized('the access token is invalid or expired');
  request.user = user;
}

/** The signed-in user in a handler behind `authenticate`; 401 if the hook did not run. */
export function requireUser(request: FastifyRequest): AuthenticatedUser {
  // Typed as always present by @fastify/jwt, but null on routes without `authenticate`.
  const user = request.user as AuthenticatedUser | null;
  if (!user) throw unauthorized();
  return user;
}
