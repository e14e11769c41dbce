import type { FastifyInstance } from 'fastify';

/** How often idle keep-alive connections are dropped while the server closes. */
const IDLE_SWEEP_MS = 100;

/**
 * `app.close()` without waiting out keep-alive timeouts. Node's server stops
 * accepting and drops the connections idle at that moment, but a keep-alive
 * connection that goes idle later (its response was still streaming, or it was
 * judged busy then) holds the close open for the whole keep-alive timeout, 72 s
 * in fastify. Sweeping idle connections while the close is pending ends it
 * right after the last request in flight, which still gets its answer.
 */
export async function closeServer(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}
