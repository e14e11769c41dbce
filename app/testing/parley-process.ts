import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/private-postgres.js';
import { waitFor } from '../../test/support/wait-for.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** How much of the child's output is kept for a failure message. */
const LOG_TAIL_CHARS = 20_000;
/** A cold start compiles the sources with tsx and runs migrations: seconds on a busy machine. */
const READY_TIMEOUT_MS = 150_000;
/** main.ts's log line once it listens: proof that `/ready` is answered by this process, not a stale one on the port. */
const LISTENING = '"msg":"parley is listening"';

/** Children still running when the test process exits (a timed-out test) are killed with it. */
const livingChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of livingChildren) child.kill('SIGKILL');
});

export interface ParleyProcessOptions {
  /** The read models' and event store's database, shared by every process of a test; it outlives every restart. */
  databaseUrl: string;
  /** `--role` values; none: every role. Only with `parley serve` (no `entry`). */
  roles?: readonly string[];
  /** Redis for unread counters, presence and rate limits; unset: in-process engines. */
  redisUrl?: string;
  /** Extra environment (RATE_LIMIT_*, NOTIFY_*, …); wins over the defaults set here. */
  environment?: Record<string, string>;
  /**
   * A script run with `node --import tsx` instead of `parley serve`, relative to the
   * repository; it must log `parley is listening` as app/main.ts does.
   */
  entry?: string;
}

/** What `/ready` answers (the part these tests read). */
export interface ReadyBody {
  status: string;
  roles: string[];
  projector: { running: boolean; lock: 'held' | 'standby' | 'none' };
}

/**
 * `parley serve` as a real child process, to be SIGKILLed or SIGTERMed like a
 * container and started again on the same database, port, data folder, JWT
 * secret and Redis prefix: clients reconnect to the same address and their
 * tokens stay valid.
 */
export interface ParleyProcess {
  /** `http://127.0.0.1:<port>`, the same for every start. */
  readonly baseUrl: string;
  /** DATA_DIR, kept across restarts (embedded data, `mail/` when no SMTP_URL). */
  readonly dataDir: string;
  /** Every key the server writes to Redis starts with this (unique per process). */
  readonly redisKeyPrefix: string;
  /** Starts the process; resolves once it logged `parley is listening` and `/ready` answers 200. */
  start(): Promise<void>;
  ready(): Promise<ReadyBody>;
  /**
   * Sends `name` and resolves to the exit code once it exited (null when killed by the
   * signal). SIGKILL: no shutdown hook runs, in-flight transactions die with their
   * connections; SIGTERM: the graceful shutdown a container runtime asks for.
   */
  signal(name: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
  /** Resolves once the current process has exited, whatever ended it (a test that makes it crash waits here). */
  exited(): Promise<number | null>;
  /** Kills the process if it runs and removes the data folder (the database is the caller's). */
  dispose(): Promise<void>;
  /** The newest output of the process (stdout and stderr), for failure messages. */
  output(): string;
}

/** Every process shares this secret, so a token from one is valid on the others and after a restart. */
export const SHARED_JWT_SECRET = 'roles-test-secret-padded-to-at-least-32-characters';

function commandLine(options: ParleyProcessOptions): string[] {
  if (options.entry === undefined) {
    const roleArgs = (options.roles ?? []).flatMap((role) => ['--role', role]);
    return [path.join(repositoryRoot, 'bin/parley.js'), 'serve', ...roleArgs];
  }
  if (options.roles) throw new Error('roles are given to `parley serve`, not to an entry');
  return ['--import', 'tsx', path.resolve(repositoryRoot, options.entry)];
}

export async function createParleyProcess(options: ParleyProcessOptions): Promise<ParleyProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-process-'));
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
    JWT_SECRET: SHARED_JWT_SECRET,
    // Short, so a standby takes over quickly; tests wait with deadlines, never on this figure.
    PROJECTOR_LOCK_RETRY_MS: '200',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.environment,
  };
  // The test runner's own settings must not leak into the child.
  delete environment.EVENTSTORE_URL;
  delete environment.PARLEY_ROLES;
  delete environment.NODE_OPTIONS;
  if (!options.redisUrl) delete environment.REDIS_URL;
  const args = commandLine(options);

  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let log = '';
  /** Output of the current process only, until it said it listens. */
  let sinceStart = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log = (log + text).slice(-LOG_TAIL_CHARS);
    if (!sinceStart.includes(LISTENING)) sinceStart = (sinceStart + text).slice(-LOG_TAIL_CHARS);
  };

  async function readReady(): Promise<{ status: number; body: ReadyBody } | undefined> {
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
      return { status: response.status, body: (await response.json()) as ReadyBody };
    } catch {
      return undefined;
    }
  }

  async function signal(name: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
    const running = child;
    if (!running) return null;
    running.kill(name);
    return exited;
  }

  return {
    baseUrl,
    dataDir,
    redisKeyPrefix,
    async start() {
      if (child) throw new Error('the parley process is already running');
      const started = spawn(process.execPath, args, {
        cwd: repositoryRoot,
        env: environment,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      livingChildren.add(started);
      sinceStart = '';
      let gone = false;
      exited = new Promise((resolve) =>
        started.once('exit', (code) => {
          gone = true;
          livingChildren.delete(started);
          // It may have died by itself (a crash a test provoked): the next start is allowed.
          if (child === started) child = undefined;
          resolve(code);
        }),
      );
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      try {
        await waitFor(
          `${baseUrl}/ready`,
          async () => {
            if (gone) throw new Error(`the parley process exited while starting:\n${log}`);
            return sinceStart.includes(LISTENING) && (await readReady())?.status === 200;
          },
          READY_TIMEOUT_MS,
        );
      } catch (error) {
        await signal('SIGKILL');
        throw error;
      }
    },
    async ready() {
      const answer = await readReady();
      if (!answer) throw new Error(`${baseUrl}/ready did not answer:\n${log}`);
      return answer.body;
    },
    signal,
    exited: () => exited,
    async dispose() {
      await signal('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
    output: () => log,
  };
}
