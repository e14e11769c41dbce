import { fork, type Serializable } from 'node:child_process';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { accountsFeature } from '../app/features/accounts.feature.js';
import { allFeatures } from '../app/features.js';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestServer } from '../test/support/server.js';

/** The slice of `ws` the benchmarks use (`ws` ships no types; @types/ws is not installed). */
export interface BenchSocket {
  readyState: number;
  send(data: string | Buffer): void;
  close(code?: number): void;
  terminate(): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(
    event: 'unexpected-response',
    listener: (request: unknown, response: { statusCode: number }) => void,
  ): void;
  off(event: 'message', listener: (data: Buffer) => void): void;
}

export interface BenchSocketServer {
  address(): { port: number };
  clients: Set<BenchSocket>;
  on(event: 'connection', listener: (socket: BenchSocket, request: { url?: string }) => void): void;
  on(event: 'listening', listener: () => void): void;
  close(callback: () => void): void;
}

export const ws = createRequire(import.meta.url)('ws') as {
  WebSocket: new (
    url: string,
    options?: {
      headers?: Record<string, string>;
      localAddress?: string;
      perMessageDeflate?: boolean;
      skipUTF8Validation?: boolean;
    },
  ) => BenchSocket;
  WebSocketServer: new (options: {
    port: number;
    host: string;
    perMessageDeflate?: boolean;
  }) => BenchSocketServer;
};

/** Rate limits out of the way: the benchmark measures throughput, not the limiter. */
export const BENCH_ENVIRONMENT: Record<string, string> = {
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_MINUTE: '100000000',
  RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
  WS_RATE_LIMIT_PER_SECOND: '1000000',
  WS_RATE_LIMIT_BURST: '1000000',
  DATABASE_POOL_SIZE: '20',
};

/** N = 2^10 instead of OWASP's 2^17: thousands of registrations in seconds, not in a quarter hour. */
const BENCH_PASSWORD_HASH_COST = 10;

/** Every feature `npm start` runs (accounts is first there), with password hashing made cheap. */
export function startBenchServer(environment: Record<string, string> = {}): Promise<TestServer> {
  const features = [accountsFeature({ passwordHashCost: BENCH_PASSWORD_HASH_COST }), ...allFeatures.slice(1)];
  return startTestServer('postgres', { ...BENCH_ENVIRONMENT, ...environment }, features);
}

/** Runs `task` over `items` with at most `limit` under way at once; answers results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Rejects with `what` when `promise` has not settled within `ms`: no wait in a benchmark is unbounded. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Registers `count` users through the public API, several at a time. */
export function registerUsers(baseUrl: string, count: number): Promise<RegisteredUser[]> {
  const anonymous = new ApiClient(baseUrl);
  const indexes = Array.from({ length: count }, (_value, index) => index);
  return mapLimit(indexes, 16, (index) =>
    withDeadline(registerUser(anonymous, `b${index}`), 30_000, `registering user ${index}`),
  );
}

/** Opens a WebSocket and resolves once it is open; rejects on refusal, error or deadline. */
export function openSocket(
  url: string,
  options: { token?: string; localAddress?: string; timeoutMs?: number } = {},
): Promise<BenchSocket> {
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const socket = new ws.WebSocket(url, {
    headers,
    perMessageDeflate: false,
    // The load's own check of the server's text: the e2e tests hold the server to
    // valid UTF-8, and here it would only take the cores from the server measured.
    skipUTF8Validation: true,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const opened = new Promise<BenchSocket>((resolve, reject) => {
    socket.on('open', () => resolve(socket));
    socket.on('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
    socket.on('error', reject);
  });
  return withDeadline(opened, options.timeoutMs ?? 10_000, `opening ${url}`).catch((error: unknown) => {
    socket.terminate();
    throw error;
  });
}

/** Sends a Parley `ping` and waits for its `pong`: the server has loaded the user's conversations. */
export function pingPong(socket: BenchSocket, timeoutMs = 10_000): Promise<void> {
  let onMessage: (data: Buffer) => void = () => undefined;
  const answered = new Promise<void>((resolve, reject) => {
    onMessage = (data) => {
      if (data.includes('"pong"')) resolve();
    };
    socket.on('message', onMessage);
    socket.on('close', () => reject(new Error('the socket closed before the pong')));
  });
  socket.send(JSON.stringify({ type: 'ping', id: 'ready', data: {} }));
  // Off afterwards: left on, it would scan every frame of the load that follows.
  return withDeadline(answered, timeoutMs, 'ping').finally(() => socket.off('message', onMessage));
}

export const wsUrl = (baseUrl: string) => `${baseUrl.replace(/^http/, 'ws')}/v1/ws`;

v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * This process's memory after full collections, in MiB: RSS, and what JavaScript
 * holds (heap, external, array buffers), so a delta counts live objects, not garbage.
 */
export function settledMemory(): { rssMb: number; jsMb: number } {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  const mib = (bytes: number) => bytes / 1024 / 1024;
  return { rssMb: mib(usage.rss), jsMb: mib(usage.heapUsed + usage.external) };
}

/**
 * Per-connection growth between two `settledMemory` readings, in KiB. The RSS delta
 * is noisy below ~10,000 connections (V8 hands freed pages back to the system late,
 * and it can even be negative); the JavaScript delta is the steadier figure.
 */
export function perConnectionKB(before: { rssMb: number; jsMb: number }, connections: number) {
  const after = settledMemory();
  const kb = (mib: number) => Math.round((mib * 1024 * 10) / Math.max(1, connections)) / 10;
  return {
    rssPerConnectionKB: kb(after.rssMb - before.rssMb),
    jsPerConnectionKB: kb(after.jsMb - before.jsMb),
    rssBeforeMb: Math.round(before.rssMb),
    rssMb: Math.round(after.rssMb),
  };
}

/** A child process running a load generator, answering reports `{kind, …}` over IPC. */
export interface LoadProcess<Report extends { kind: string }> {
  send(order: unknown): void;
  /** The next report of `kind`; rejects on a `failed` report, the child's exit or the deadline. */
  next<Kind extends Report['kind']>(kind: Kind, timeoutMs: number): Promise<Extract<Report, { kind: Kind }>>;
  stop(): void;
}

/** Forks `file` (the tsx loader is inherited through execArgv). */
export function forkLoad<Report extends { kind: string }>(file: URL): LoadProcess<Report> {
  const child = fork(file.pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const received: Report[] = [];
  let ended: Error | undefined;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  child.on('message', (message) => {
    received.push(message as Report);
    notify();
  });
  child.on('exit', (code) => {
    ended = new Error(`the load process exited (${code})`);
    notify();
  });
  return {
    send: (order) => child.send(order as Serializable),
    next(kind, timeoutMs) {
      const found = new Promise<Extract<Report, { kind: typeof kind }>>((resolve, reject) => {
        const check = () => {
          const index = received.findIndex((report) => report.kind === kind || report.kind === 'failed');
          if (index >= 0) {
            const [report] = received.splice(index, 1) as [Report & { error?: string }];
            listeners.delete(check);
            if (report.kind === 'failed') reject(new Error(report.error));
            else resolve(report as Extract<Report, { kind: typeof kind }>);
          } else if (ended) {
            listeners.delete(check);
            reject(ended);
          }
        };
        listeners.add(check);
        check();
      });
      return withDeadline(found, timeoutMs, `the load process's ${kind}`);
    },
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
