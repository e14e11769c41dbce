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
/**
 * Who issues access tokens: checked on every token, so a token minted by another
 * service that happens to share the key (a misconfigured JWT_SECRET) is refused.
 */
export const ACCESS_TOKEN_ISSUER = 'parley';
/** Pinned for signing and verifying: a token naming another algorithm (or `none`) is refused. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

const claimsSchema = z.object({
  sub: z.uuid(),
  username: z.string().min(1),
});

/**
 * Whether an account still exists. A token is valid until it expires, but the
 * account it speaks for can be deleted before that: its holder must not go on acting.
 */
export type AccountExists = (userId: string) => Promise<boolean>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the auth plugin when the accounts feature gives it a lookup. */
    accountExists?: AccountExists;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; username: string };
    user: AuthenticatedUser;
  }
}

/** False once the account of a verified token is gone; true when no lookup is wired. */
export async function accountStillExists(app: FastifyInstance, userId: string): Promise<boolean> {
  return app.accountExists ? app.accountExists(userId) : true;
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
