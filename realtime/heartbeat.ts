import type { Connection } from './connection.js';

/**
 * Pings every connection each `intervalSeconds`; one that has not answered the
 * previous ping is a dead peer (a vanished laptop, a dropped NAT mapping) and is
 * terminated, which frees its memory and marks its user's connection gone.
 * Returns the function that stops it.
 */
export function startHeartbeat(
  connections: () => Iterable<Connection>,
  intervalSeconds: number,
  onDead: (connection: Connection) => void,
): () => void {
  const timer = setInterval(() => {
    for (const connection of connections()) {
      if (!connection.alive) {
        onDead(connection);
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      if (connection.open) connection.socket.ping();
    }
  }, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
