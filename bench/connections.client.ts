import { mapLimit, openSocket, pingPong, type BenchSocket } from './ws-load.js';

/** What the parent asks of this load process. */
export interface ConnectOrder {
  url: string;
  tokens: string[];
  target: number;
  /** Source addresses to spread over: one address has ~28,000 ephemeral ports. */
  localAddresses: string[];
}

/** What this process answers: progress while opening, then the outcome. */
export type ConnectReport =
  { kind: 'progress'; held: number } | { kind: 'done'; held: number; seconds: number; error?: string };

/**
 * The client side of `connections`, in a process of its own so that the server's
 * RSS is the server's alone and each side has its own file-descriptor limit.
 * Opens authenticated sockets until the target or the first failure, holds them
 * idle until the parent ends this process.
 */
function run(order: ConnectOrder): void {
  const send = (message: ConnectReport) => process.send?.(message);
  const sockets: BenchSocket[] = [];
  let failure: string | undefined;
  const started = performance.now();
  const indexes = Array.from({ length: order.target }, (_value, index) => index);
  void mapLimit(indexes, 200, async (index) => {
    if (failure) return;
    try {
      const socket = await openSocket(order.url, {
        token: order.tokens[index % order.tokens.length]!,
        localAddress: order.localAddresses[index % order.localAddresses.length]!,
      });
      sockets.push(socket);
      await pingPong(socket);
    } catch (error) {
      failure ??= `connection ${index}: ${(error as Error).message}`;
    }
  }).then(() => {
    const held = sockets.filter((socket) => socket.readyState === 1).length;
    send({ kind: 'done', held, seconds: (performance.now() - started) / 1000, error: failure });
  });
}

process.once('message', (order) => run(order as ConnectOrder));
// The parent ends this process when it has read the report, or by going away.
process.on('disconnect', () => process.exit(0));
