import { randomUUID } from 'node:crypto';
import { round, summarize } from './stats.js';
import { mapLimit, openSocket, pingPong, withDeadline, type BenchSocket } from './ws-load.js';

export const GROUP_SIZE = 10;
const WARMUP_MS = 2_000;

/** What the parent asks of this load process: client i joins group ⌊i/10⌋. */
export interface FanoutOrder {
  target: 'parley' | 'bare';
  url: string;
  /** parley: one access token per client, one conversation id per group. */
  tokens: string[];
  conversations: string[];
  clients: number;
  durationMs: number;
  /** Sends per second over all clients, each client sending on its own schedule; absent: as fast as answers come. */
  pacedPerSec?: number;
}

export type FanoutFigures = ReturnType<typeof figures>;
export type FanoutReport =
  { kind: 'connected' } | { kind: 'done'; figures: FanoutFigures } | { kind: 'failed'; error: string };

/** How one side of the comparison frames a send and reads what comes back. */
interface Shape {
  frame(index: number, id: string, body: string): string;
  /** An answer to the client's own request (`ok` false: refused), a delivered message's body, or nothing to count. */
  read(index: number, data: Buffer): { ack: string; ok: boolean } | { body: string } | undefined;
}

const DELIVERY_PREFIX = Buffer.from('{"type":"message.delivery"');
const CREATE_PREFIX = Buffer.from('{"type":"message.create"');
const BODY_KEY = Buffer.from('"body":"');
const QUOTE = 0x22;

const startsWith = (data: Buffer, prefix: Buffer) => data.subarray(0, prefix.length).equals(prefix);

/**
 * The body of a message.create frame, read without parsing the frame. The load
 * generator shares the cores with the server, and parsing every delivery was most
 * of its time. The message's `body` is its first, and the bench's bodies
 * (`<sender>:<time>`) need no escaping.
 */
function createdBody(data: Buffer): string | undefined {
  const at = data.indexOf(BODY_KEY);
  if (at < 0) return undefined;
  const start = at + BODY_KEY.length;
  return data.toString('latin1', start, data.indexOf(QUOTE, start));
}

/** A message.send per request; the ack answers it; message.create frames are the deliveries. */
const parleyShape = (conversations: string[]): Shape => ({
  frame: (index, id, body) =>
    JSON.stringify({
      type: 'message.send',
      id,
      data: {
        conversationId: conversations[Math.floor(index / GROUP_SIZE)],
        clientMsgId: randomUUID(),
        body,
      },
    }),
  read: (_index, data) => {
    // Receipts arrive about as often as messages, and the load counts neither.
    if (startsWith(data, DELIVERY_PREFIX)) return undefined;
    if (startsWith(data, CREATE_PREFIX)) {
      const body = createdBody(data);
      return body === undefined ? undefined : { body };
    }
    const frame = JSON.parse(data.toString('utf8'));
    if (frame.type === 'ack' || frame.type === 'error') return { ack: frame.id, ok: frame.type === 'ack' };
    return undefined;
  },
});

/** The bare relay echoes to the whole group, sender included: the sender's copy is its ack. */
const bareShape: Shape = {
  frame: (_index, id, body) => JSON.stringify({ type: 'message.send', id, data: { body } }),
  read: (index, data) => {
    const frame = JSON.parse(data.toString('utf8'));
    const body = frame.data.body as string;
    return body.startsWith(`${index}:`) ? { ack: frame.id, ok: true } : { body };
  },
};

interface Counters {
  sends: number;
  errors: number;
  deliveries: number;
  latencies: number[];
  /** Send→answer, apart from send→delivery: tells the command path's share of the latency from the fan-out's. */
  ackLatencies: number[];
}

function figures(counters: Counters, seconds: number) {
  return {
    sendsPerSec: round(counters.sends / seconds, 0),
    deliveriesPerSec: round(counters.deliveries / seconds, 0),
    errors: counters.errors,
    ...summarize(counters.latencies),
    ...ackSummary(counters.ackLatencies),
  };
}

function ackSummary(latencies: number[]) {
  const { p50Ms, p99Ms } = summarize(latencies);
  return { ackP50Ms: p50Ms, ackP99Ms: p99Ms };
}

/** A load's clock: what happens after the warm-up, for `durationMs`, counts. */
interface Window {
  measureFrom: number;
  deadline: number;
}

const counting = (window: Window, at: number) => at >= window.measureFrom && at <= window.deadline;

/**
 * Counts deliveries and answers. The body carries the sender's index and the
 * time the send was due, so each receiver measures send→deliver latency on the
 * one clock of this process.
 */
function listen(sockets: BenchSocket[], shape: Shape, window: Window, counters: Counters) {
  const waiting = sockets.map(() => new Map<string, (ok: boolean) => void>());
  sockets.forEach((socket, index) => {
    socket.on('message', (data) => {
      const read = shape.read(index, data);
      if (!read) return;
      if ('ack' in read) return waiting[index]!.get(read.ack)?.(read.ok);
      const [sender, sentAt] = read.body.split(':').map(Number);
      const now = performance.now();
      if (sender === index || !counting(window, now)) return;
      counters.deliveries += 1;
      counters.latencies.push(now - sentAt!);
    });
  });
  /** Sends one request; resolves with whether it was accepted. */
  return (index: number, id: string, dueAt: number): Promise<boolean> => {
    const answered = new Promise<boolean>((resolve) => waiting[index]!.set(id, resolve));
    sockets[index]!.send(shape.frame(index, id, `${index}:${dueAt}`));
    return withDeadline(answered, 30_000, `the answer to send ${id}`).finally(() => {
      waiting[index]!.delete(id);
      const now = performance.now();
      if (counting(window, now)) counters.ackLatencies.push(now - dueAt);
    });
  };
}

function tally(counters: Counters, ok: boolean) {
  if (ok) counters.sends += 1;
  else counters.errors += 1;
}

/** Every socket sends in a loop, each send awaiting its answer before the next: the most the server takes. */
async function closedLoop(sockets: BenchSocket[], shape: Shape, window: Window): Promise<Counters> {
  const counters: Counters = { sends: 0, errors: 0, deliveries: 0, latencies: [], ackLatencies: [] };
  const send = listen(sockets, shape, window, counters);
  await Promise.all(
    sockets.map(async (_socket, index) => {
      for (let n = 0; performance.now() < window.deadline; n++) {
        const ok = await send(index, `${index}-${n}`, performance.now());
        if (counting(window, performance.now())) tally(counters, ok);
      }
    }),
  );
  return counters;
}

/**
 * Every socket sends on a fixed schedule (spread over the interval), whether or
 * not its earlier sends were answered: the offered load stays `perSec`, and a
 * server falling behind shows as latency, measured from when each send was due
 * (so a late timer in this process counts against the figure, not for it).
 */
async function paced(sockets: BenchSocket[], shape: Shape, window: Window, perSec: number) {
  const counters: Counters = { sends: 0, errors: 0, deliveries: 0, latencies: [], ackLatencies: [] };
  const send = listen(sockets, shape, window, counters);
  const intervalMs = (1000 * sockets.length) / perSec;
  const started = performance.now();
  const answers: Promise<void>[] = [];
  await Promise.all(
    sockets.map(async (_socket, index) => {
      let dueAt = started + (intervalMs * index) / sockets.length;
      for (let n = 0; dueAt < window.deadline; n++, dueAt += intervalMs) {
        const wait = dueAt - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const answered = send(index, `${index}-${n}`, dueAt).then((ok) => {
          // Counted when answered: a server falling behind answers fewer per second.
          if (counting(window, performance.now())) tally(counters, ok);
        });
        answers.push(answered);
      }
    }),
  );
  await Promise.all(answers);
  return counters;
}

/**
 * An authenticated socket the server has answered a ping on. Right after an
 * overload the read models can lag the live feed by more than the fan-out's
 * membership journal covers; the server then closes a new connection with 1013
 * (try again later): so do that.
 */
async function readySocket(url: string, token: string): Promise<BenchSocket> {
  for (let attempt = 1; ; attempt++) {
    const socket = await openSocket(url, { token });
    try {
      await pingPong(socket, 30_000);
      return socket;
    } catch (error) {
      socket.terminate();
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

async function run(order: FanoutOrder): Promise<void> {
  const send = (message: FanoutReport) => process.send?.(message);
  const indexes = Array.from({ length: order.clients }, (_value, index) => index);
  const sockets = await mapLimit(indexes, 100, async (index) => {
    if (order.target === 'bare') return openSocket(`${order.url}?g=${Math.floor(index / GROUP_SIZE)}`);
    return readySocket(order.url, order.tokens[index]!);
  });
  send({ kind: 'connected' });
  const shape = order.target === 'bare' ? bareShape : parleyShape(order.conversations);
  const measureFrom = performance.now() + WARMUP_MS;
  const window = { measureFrom, deadline: measureFrom + order.durationMs };
  const counters = order.pacedPerSec
    ? await paced(sockets, shape, window, order.pacedPerSec)
    : await closedLoop(sockets, shape, window);
  send({ kind: 'done', figures: figures(counters, order.durationMs / 1000) });
  for (const socket of sockets) socket.terminate();
}

/** The client side of `fanout`, in a process of its own: the server gets a core, the load the other. */
process.once('message', (order) => {
  run(order as FanoutOrder).catch((error: unknown) =>
    process.send?.({ kind: 'failed', error: (error as Error).message } satisfies FanoutReport),
  );
});
// The parent ends this process when it has read the report, or by going away.
process.on('disconnect', () => process.exit(0));
