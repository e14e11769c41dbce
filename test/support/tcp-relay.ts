import net from 'node:net';

export interface TcpRelay {
  /** The relay's address, as a URL of the target's scheme (`redis://127.0.0.1:<port>`). */
  url: string;
  /** Drops every connection and refuses new ones, as a restart of the target would. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /**
   * A black hole: connections stay open and new ones are accepted, but no byte
   * crosses in either direction until `heal()`, as on a partitioned network
   * (nothing is reset, so only a timeout can tell the peer).
   */
  stall(): void;
  /** Every chunk, each way, arrives `delayMs` late (in order) until `heal()`. */
  slow(delayMs: number): void;
  /** Forwards at once again; what a stall held back goes on, in order. */
  heal(): void;
  close(): Promise<void>;
}

type Mode = { kind: 'open' } | { kind: 'stalled'; healed: Promise<void> } | { kind: 'slow'; delayMs: number };

/**
 * A TCP relay of our own (node:net) in front of a real server (PostgreSQL, Redis)
 * that a test can cut, stall and slow, instead of touching the server other tests
 * share.
 */
export async function openTcpRelay(target: URL, defaultPort = 6379): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let mode: Mode = { kind: 'open' };
  let heal: () => void = () => undefined;

  /** Waits until `mode` lets a chunk through; chained per direction, so order holds. */
  const gate = async (): Promise<void> => {
    for (;;) {
      const current = mode;
      if (current.kind === 'open') return;
      if (current.kind === 'slow') {
        await new Promise((resolve) => setTimeout(resolve, current.delayMs));
        return;
      }
      await current.healed;
    }
  };

  const forward = (from: net.Socket, to: net.Socket) => {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        await gate();
        if (!to.destroyed) to.write(chunk);
      });
    });
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || defaultPort), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen(0);
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    cut: stop,
    restore: () => listen(port),
    stall() {
      if (mode.kind === 'stalled') return;
      const healed = new Promise<void>((resolve) => (heal = resolve));
      mode = { kind: 'stalled', healed };
    },
    slow(delayMs) {
      heal();
      mode = { kind: 'slow', delayMs };
    },
    heal() {
      mode = { kind: 'open' };
      heal();
    },
    close() {
      mode = { kind: 'open' };
      heal();
      return server.listening ? stop() : Promise.resolve();
    },
  };
}
