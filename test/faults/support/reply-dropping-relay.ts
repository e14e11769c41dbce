import net from 'node:net';

/**
 * A TCP relay in front of a server that can swallow the server's replies while
 * still forwarding what clients send: the request is processed, its answer is lost
 * on the way back, as when a client's network drops right after it sent.
 */
export interface ReplyDroppingRelay {
  /** The relay's address, `http://127.0.0.1:<port>` (WebSocket clients swap the scheme). */
  readonly url: string;
  /** While true, bytes from the server are discarded instead of reaching the client. */
  dropReplies: boolean;
  /** Destroys every connection through the relay (clients see their socket close); new ones are accepted. */
  disconnectAll(): void;
  close(): Promise<void>;
}

export async function openReplyDroppingRelay(target: URL): Promise<ReplyDroppingRelay> {
  const sockets = new Set<net.Socket>();
  const relay = {
    dropReplies: false,
  } as { dropReplies: boolean };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!relay.dropReplies) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  const disconnectAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return Object.assign(relay, {
    url: `http://127.0.0.1:${port}`,
    disconnectAll,
    close: () =>
      new Promise<void>((resolve) => {
        disconnectAll();
        server.close(() => resolve());
      }),
  });
}
