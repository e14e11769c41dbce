import { randomUUID } from 'node:crypto';
import { machineBusyPercentSince, machineCpu, round, summarize, type MachineCpu } from './stats.js';
import { mapLimit, openSocket, pingPong, type BenchSocket } from './ws-load.js';

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

/** What a frame the load received was: the answer to one of its own requests, or a delivered message. */
interface Sink {
  answer: (id: string, ok: boolean) => void;
  /** Another client's message, due at `sentAt` (this process's clock). */
  delivery: (sentAt: number) => void;
}

/** How one side of the comparison frames a send and reads what comes back. */
interface Shape {
  frame(index: number, id: string, body: string): string;
  /** Tells `sink` what `data`, received by client `index`, was; frames the load does not count are skipped. */
  read(index: number, data: Buffer, sink: Sink): void;
}

const DELIVERY_PREFIX = Buffer.from('{"type":"message.delivery"');
const CREATE_PREFIX = Buffer.from('{"type":"message.create"');
const BODY_KEY = Buffer.from('"body":"');
const COLON = 0x3a;
const QUOTE = 0x22;
const DIGIT_0 = 0x30;

const startsWith = (data: Buffer, prefix: Buffer) =>
  data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

/**
 * Reads a body `<sender>:<sentAt>` without parsing the frame, and answers the
 * sender (-1 when there is no body). The load generator shares the cores with the
 * server, so every delivery it reads costs the server time: no JSON parse, no
 * split, no object per frame. A message's `body` is its first, and the bench's
 * bodies need no escaping.
 */
function readBody(data: Buffer, delivery: Sink['delivery'], own: number): number {
  const at = data.indexOf(BODY_KEY);
  if (at < 0) return -1;
  let cursor = at + BODY_KEY.length;
  let sender = 0;
  for (let byte = data[cursor]!; byte !== COLON; byte = data[++cursor]!)
    sender = sender * 10 + byte - DIGIT_0;
  if (sender !== own) {
    const end = data.indexOf(QUOTE, cursor);
    delivery(Number(data.toString('latin1', cursor + 1, end)));
  }
  return sender;
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
  read: (index, data, sink) => {
    // Receipts arrive about as often as messages, and the load counts neither.
    if (startsWith(data, DELIVERY_PREFIX)) return;
    if (startsWith(data, CREATE_PREFIX)) {
      readBody(data, sink.delivery, index);
      return;
    }
    const frame = JSON.parse(data.toString('utf8'));
    if (frame.type === 'ack' || frame.type === 'error') sink.answer(frame.id, frame.type === 'ack');
  },
});

/** The bare relay echoes to the whole group, sender included: the sender's copy is its ack. */
const bareShape: Shape = {
  frame: (_index, id, body) => JSON.stringify({ type: 'message.send', id, data: { body } }),
  read: (index, data, sink) => {
    if (readBody(data, sink.delivery, index) === index)
      sink.answer(JSON.parse(data.toString('utf8')).id, true);
  },
};

interface Counters {
  sends: number;
  errors: number;
  deliveries: number;
  latencies: number[];
  /** Send→answer, apart from send→delivery: tells the command path's share of the latency from the fan-out's. */
  ackLatencies: number[];
  /** This process's CPU over the measured window, in percent of one core. */
  cpuPercent: number;
  /** The whole machine's over the same window, in percent of all its cores (Linux only). */
  machineCpuPercent: number | undefined;
}

function figures(counters: Counters, seconds: number) {
  return {
    sendsPerSec: round(counters.sends / seconds, 0),
    deliveriesPerSec: round(counters.deliveries / seconds, 0),
    errors: counters.errors,
    ...summarize(counters.latencies),
    ...ackSummary(counters.ackLatencies),
    loadCpuPercent: round(counters.cpuPercent, 1),
    machineCpuPercent: counters.machineCpuPercent,
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

/** No answer may take longer than this: past it the load fails rather than wait. */
const ANSWER_DEADLINE_MS = 30_000;

/** A request on its way: when it was due, and what runs with its answer. */
interface Waiting {
  dueAt: number;
  answered(ok: boolean): void;
}

/**
 * Counts deliveries and answers. The body carries the sender's index and the
 * time the send was due, so each receiver measures send→deliver latency on the
 * one clock of this process. Answers are matched to requests by id; one sweep a
 * second, not a timer per request, fails the load when one is overdue.
 */
class Load {
  readonly counters: Counters = {
    sends: 0,
    errors: 0,
    deliveries: 0,
    latencies: [],
    ackLatencies: [],
    cpuPercent: 0,
    machineCpuPercent: undefined,
  };
  private readonly waiting: Map<string, Waiting>[];
  private readonly sweeper: NodeJS.Timeout;
  private overdue: (error: Error) => void = () => undefined;
  /** Rejects when an answer is overdue; raced against the load's own end. */
  readonly failed = new Promise<never>((_resolve, reject) => (this.overdue = reject));
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private machineAtStart: MachineCpu | undefined;

  constructor(
    private readonly sockets: BenchSocket[],
    private readonly shape: Shape,
    readonly window: Window,
  ) {
    this.waiting = sockets.map(() => new Map());
    this.failed.catch(() => undefined);
    this.sweeper = setInterval(() => this.sweep(), 1_000);
    const sinks = sockets.map((_socket, index) => this.sinkOf(index));
    sockets.forEach((socket, index) => {
      const sink = sinks[index]!;
      socket.on('message', (data) => this.shape.read(index, data, sink));
    });
    setTimeout(
      () => {
        this.cpuAtStart = process.cpuUsage();
        this.machineAtStart = machineCpu();
      },
      Math.max(0, window.measureFrom - performance.now()),
    );
  }

  private sinkOf(index: number): Sink {
    return {
      answer: (id, ok) => {
        const waiting = this.waiting[index]!;
        const request = waiting.get(id);
        if (!request) return;
        waiting.delete(id);
        const now = performance.now();
        if (counting(this.window, now)) this.counters.ackLatencies.push(now - request.dueAt);
        request.answered(ok);
      },
      delivery: (sentAt) => {
        const now = performance.now();
        if (!counting(this.window, now)) return;
        this.counters.deliveries += 1;
        this.counters.latencies.push(now - sentAt);
      },
    };
  }

  /** Sends one request, due at `dueAt`; `answered` runs with whether it was accepted. */
  send(index: number, id: string, dueAt: number, answered: (ok: boolean) => void): void {
    this.waiting[index]!.set(id, { dueAt, answered });
    this.sockets[index]!.send(this.shape.frame(index, id, `${index}:${dueAt}`));
  }

  /** Counts an answer that came within the window. */
  tally(ok: boolean): void {
    if (!counting(this.window, performance.now())) return;
    if (ok) this.counters.sends += 1;
    else this.counters.errors += 1;
  }

  /** Waits out the window, then for every answer still owed; answers the counters and the load's CPU. */
  async end(): Promise<Counters> {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await Promise.race([sleep(this.window.deadline - performance.now()), this.failed]);
    while (this.waiting.some((waiting) => waiting.size > 0)) await Promise.race([sleep(20), this.failed]);
    clearInterval(this.sweeper);
    const used = process.cpuUsage(this.cpuAtStart);
    this.counters.machineCpuPercent = machineBusyPercentSince(this.machineAtStart);
    this.counters.cpuPercent =
      (used.user + used.system) / 10 / (this.window.deadline - this.window.measureFrom);
    return this.counters;
  }

  private sweep(): void {
    const oldest = performance.now() - ANSWER_DEADLINE_MS;
    for (const waiting of this.waiting) {
      for (const [id, request] of waiting) {
        if (request.dueAt < oldest)
          this.overdue(new Error(`the answer to send ${id}: none within ${ANSWER_DEADLINE_MS} ms`));
        break; // a socket's requests are in the order sent: the first is the oldest
      }
    }
  }
}

/** Every socket sends in a loop, each send awaiting its answer before the next: the most the server takes. */
async function closedLoop(sockets: BenchSocket[], shape: Shape, window: Window): Promise<Counters> {
  const load = new Load(sockets, shape, window);
  const next = (index: number, n: number) => {
    if (performance.now() >= window.deadline) return;
    load.send(index, `${index}-${n}`, performance.now(), (ok) => {
      load.tally(ok);
      next(index, n + 1);
    });
  };
  sockets.forEach((_socket, index) => next(index, 0));
  return load.end();
}

/**
 * Every socket sends on a fixed schedule (spread over the interval), whether or
 * not its earlier sends were answered: the offered load stays `perSec`, and a
 * server falling behind shows as latency, measured from when each send was due
 * (so a late timer in this process counts against the figure, not for it). One
 * timeline drives every socket: send k is socket k mod N's, due k/perSec seconds in.
 */
async function paced(sockets: BenchSocket[], shape: Shape, window: Window, perSec: number) {
  const load = new Load(sockets, shape, window);
  const spacingMs = 1000 / perSec;
  const started = performance.now();
  const tally = (ok: boolean) => load.tally(ok);
  let next = 0;
  const sendDue = () => {
    const now = performance.now();
    for (let dueAt = started + next * spacingMs; dueAt <= now; dueAt = started + next * spacingMs) {
      if (dueAt >= window.deadline) return;
      const index = next % sockets.length;
      load.send(index, `${index}-${Math.floor(next / sockets.length)}`, dueAt, tally);
      next += 1;
    }
    setTimeout(sendDue, Math.max(0, started + next * spacingMs - performance.now()));
  };
  sendDue();
  return load.end();
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
