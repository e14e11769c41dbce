import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait-for.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** How much of the child's output is kept for a failure message. */
const LOG_TAIL_CHARS = 20_000;
/** A cold start compiles the sources with tsx and runs migrations: seconds on a busy machine. */
const READY_TIMEOUT_MS = 60_000;
/** main.ts's log line once it listens: proof that `/ready` is answered by this process, not a stale one on the port. */
const LISTENING = '"msg":"parley is listening"';

/** Children still running when the test process exits (a timed-out test) are killed with it. */
const livingChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of livingChildren) child.kill('SIGKILL');
});

export interface ChildServerOptions {
  /** The read models' and event store's database; it outlives every restart. */
  databaseUrl: string;
  /** Redis for unread counters, presence and rate limits; unset: in-process engines. */
  redisUrl?: string;
  /** Extra environment (RATE_LIMIT_*, NOTIFY_*, …); wins over the defaults set here. */
  environment?: Record<string, string>;
  /**
   * The entry point run with `node --import tsx`; defaults to `app/main.ts` (what
   * `npm start` runs). Another entry must log `parley is listening` as main.ts does.
   */
  entry?: string;
}

/**
 * Parley in a child process, so a test can SIGKILL it mid-stream and start it
 * again on the same database, port, data folder, JWT secret and Redis prefix:
 * clients reconnect to the same address and their tokens stay valid.
 */
export interface ChildServer {
  /** `http://127.0.0.1:<port>`, the same for every start. */
  readonly baseUrl: string;
  /** DATA_DIR, kept across restarts (embedded data, `mail/` when no SMTP_URL). */
  readonly dataDir: string;
  /** Every key the server writes to Redis starts with this (unique per child server). */
  readonly redisKeyPrefix: string;
  /** Starts the process; resolves once it logged `parley is listening` and `/ready` answers 200. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown hook runs, in-flight transactions die with their connections. Resolves once it exited. */
  kill(): Promise<void>;
  /** Resolves once the current process has exited, whatever ended it (a test that makes it crash waits here). */
  exited(): Promise<void>;
  /** SIGTERM: the graceful shutdown `npm start` does on a signal. */
  stop(): Promise<void>;
  /** Stops the process if it runs and removes the data folder (the database is the caller's). */
  dispose(): Promise<void>;
  /** The newest output of the process (stdout and stderr), for failure messages. */
  output(): string;
}

/** A port free now, kept for every start of one server (a restart must come back where clients look). */
export async function findFreePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function createChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const port = await findFreePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-child-'));
  const redisKeyPrefix = `parley:test:${path.basename(dataDir)}:`;
  const baseUrl = `http://127.0.0.1:${port}`;
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    // At least info: the start waits for the "parley is listening" line of its own process.
    LOG_LEVEL: 'info',
    // Fixed, so that tokens issued before a kill are still valid after the restart.
    JWT_SECRET: `child-server-secret-${path.basename(dataDir)}-padding-to-32`,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.environment,
  };
  // The test runner's own settings must not leak into the child.
  delete environment.EVENTSTORE_URL;
  delete environment.NODE_OPTIONS;
  if (!options.redisUrl) delete environment.REDIS_URL;
  const entry = path.resolve(repositoryRoot, options.entry ?? 'app/main.ts');

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';
  /** Output of the current process only, until it said it listens. */
  let sinceStart = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log = (log + text).slice(-LOG_TAIL_CHARS);
    if (!sinceStart.includes(LISTENING)) sinceStart = (sinceStart + text).slice(-LOG_TAIL_CHARS);
  };

  async function isReady(): Promise<boolean> {
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  async function signal(name: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const running = child;
    if (!running) return;
    running.kill(name);
    await exited;
    child = undefined;
  }

  return {
    baseUrl,
    dataDir,
    redisKeyPrefix,
    async start() {
      if (child) throw new Error('the child server is already running');
      const started = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: repositoryRoot,
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      livingChildren.add(started);
      sinceStart = '';
      let gone = false;
      exited = new Promise((resolve) =>
        started.once('exit', () => {
          gone = true;
          livingChildren.delete(started);
          // It may have died by itself (a crash a test provoked): the next start is allowed.
          if (child === started) child = undefined;
          resolve();
        }),
      );
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      try {
        await waitFor(
          `${baseUrl}/ready`,
          async () => {
            if (gone) throw new Error(`the child server exited while starting:\n${log}`);
            return sinceStart.includes(LISTENING) && isReady();
          },
          READY_TIMEOUT_MS,
        );
      } catch (error) {
        await signal('SIGKILL');
        throw error;
      }
    },
    kill: () => signal('SIGKILL'),
    exited: () => exited,
    stop: () => signal('SIGTERM'),
    async dispose() {
      await signal('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
    output: () => log,
  };
}
