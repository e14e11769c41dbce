import type { FastifyInstance } from 'fastify';
import type { Connection } from './connection.js';
import { CloseCode } from './socket.js';

/** setTimeout's ceiling (about 24.8 days): a token living longer closes the socket then, and the client reconnects. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Closes `connection` with 4401 when the access token it connected with expires
 * (through the connection, so frames already queued leave first), so a socket
 * never outlives the credential that opened it (a revoked user's token stops
 * working within one access-token lifetime, on the WebSocket as over REST). The
 * client reconnects with a fresh token and `sync`s. Returns the disarm function.
 */
export function closeWhenTokenExpires(
  app: FastifyInstance,
  token: string,
  connection: Pick<Connection, 'close'>,
  now: () => number = Date.now,
): () => void {
  const expiresAtMs = expiryOf(app, token);
  if (expiresAtMs === undefined) return () => {};
  const timer = setTimeout(
    () => connection.close(CloseCode.unauthorized, 'access token expired: reconnect with a fresh one'),
    Math.min(Math.max(expiresAtMs - now(), 0), MAX_TIMER_MS),
  );
  timer.unref();
  return () => clearTimeout(timer);
}

/** The token's `exp` in milliseconds; the token was verified just before, so only its shape is read here. */
function expiryOf(app: FastifyInstance, token: string): number | undefined {
  const payload: unknown = app.jwt.decode(token);
  if (typeof payload !== 'object' || payload === null) return undefined;
  const exp = (payload as { exp?: unknown }).exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}
