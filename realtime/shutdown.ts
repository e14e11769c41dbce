import type { Connection } from './connection.js';
import { CloseCode } from './socket.js';

/** How long a shutdown waits for answers in flight, then for clients to finish the close handshake. */
const ANSWER_DEADLINE_MS = 5_000;
const CLOSE_DEADLINE_MS = 2_000;

function within(ms: number, work: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A clean goodbye to every client: requests already received are answered (so
 * nothing acked is lost and nothing stored goes unacknowledged), then each client
 * gets a `system.notice` and a close with 1001, and is terminated if it does not
 * complete the handshake in time.
 */
export async function closeAllConnections(connections: readonly Connection[]): Promise<void> {
  await within(ANSWER_DEADLINE_MS, Promise.allSettled(connections.map((connection) => connection.idle())));
  const closed = connections.map(
    (connection) =>
      new Promise<void>((resolve) => {
        if (!connection.open) return resolve();
        connection.socket.on('close', () => resolve());
        connection.sendFrame({
          type: 'system.notice',
          data: { message: 'the server is shutting down; reconnect and sync' },
        });
        connection.close(CloseCode.goingAway, 'server shutting down');
      }),
  );
  await within(CLOSE_DEADLINE_MS, Promise.all(closed));
  for (const connection of connections) if (connection.open) connection.socket.terminate();
}
