import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/** The user a valid access token speaks for: `request.user` after `authenticate`. */
export interface AuthenticatedUser {
  id: string;
  username: string;
}

/**
 * Access tokens carry this audience, so no other token signed with the same key
 * (a future download or reset token) is ever accepted as one.
 */
export const ACCESS_TOKEN_AUDIENCE = 'parley:access';
/** Pinned for signing and verifying: a token naming another algorithm (or `none`) is refused. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

const claimsSchema = z.object({
  sub: z.uuid(),
  username: z.string().min(1),
});

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; username: string };
    user: AuthenticatedUser;
  }
}

/** Signs an access token; algorithm, audience and expiry come from the plugin's options. */
export function signAccessToken(app: FastifyInstance, user: AuthenticatedUser): string {
  return app.jwt.sign({ sub: user.id, username: user.username });
}

/**
 * The user of a valid access token, or `undefined` for anything else: malformed,
 * expired, signed with another key or algorithm, unsigned, or with missing claims.
 * The WebSocket endpoint uses it for `?access_token=`.
 */
export function verifyAccessToken(app: FastifyInstance, token: string): AuthenticatedUser | undefined {
  let payload: unknown;
  try {
    payload = app.jwt.verify(token);
  } catch {
    // Every reason is the same answer for the client: 401, or close code 4401.
    return undefined;
  }
  const claims = claimsSchema.safeParse(payload);
  return claims.success ? { id: claims.data.sub, username: claims.data.username } : undefined;
}
