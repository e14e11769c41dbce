import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../test/support/wait-for.js';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LOG_TAIL_CHARS = 20_000;
/** A cold start compiles the sources with tsx and runs migrations: seconds on a busy machine. */
const READY_TIMEOUT_MS = 150_000;

export interface ParleyProcessOptions {
  /** One database shared by every process of a test. */
  databaseUrl: string;
  /** `--role` values; none: every role. */
  roles?: readonly string[];
  /** Extra environment; wins over the defaults set here. */
  environment?: Record<string, string>;
}

/** What `/ready` answers (the part these tests read). */
export interface ReadyBody {
  status: string;
  roles: string[];
  projector: { running: boolean; lock: 'held' | 'standby' | 'none' };
}

/** `parley serve` as a real child process, to be SIGKILLed or SIGTERMed like a container. */
export interface ParleyProcess {
  readonly baseUrl: string;
  readonly pid: number | undefined;
  /** Resolves once `/ready` answers 200. */
  start(): Promise<void>;
  ready(): Promise<ReadyBody>;
  /** Sends `signal` and resolves to the exit code (null when killed by the signal). */
  signal(name: 'SIGKILL' | 'SIGTERM'): Promise<number | null>;
  dispose(): Promise<void>;
  output(): string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every process of one test shares this secret, so a token from one is valid on the others. */
export const SHARED_JWT_SECRET = 'roles-test-secret-padded-to-at-least-32-characters';

export async function createParleyProcess(options: ParleyProcessOptions): Promise<ParleyProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-roles-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    JWT_SECRET: SHARED_JWT_SECRET,
    // Short, so a standby takes over quickly; tests wait with deadlines, never on this figure.
    PROJECTOR_LOCK_RETRY_MS: '200',
    ...options.environment,
  };
  delete environment.EVENTSTORE_URL;
  delete environment.REDIS_URL;
  delete environment.PARLEY_ROLES;
  delete environment.NODE_OPTIONS;
  const roleArgs = (options.roles ?? []).flatMap((role) => ['--role', role]);

  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };

  async function readReady(): Promise<{ status: number; body: ReadyBody } | undefined> {
    try {
      const response = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
      return { status: response.status, body: (await response.json()) as ReadyBody };
    } catch {
      return undefined;
    }
  }

  return {
    baseUrl,
    get pid() {
      return child?.pid;
    },
    async start() {
      if (child) throw new Error('already running');
      const started = spawn(
        process.execPath,
        [path.join(repositoryRoot, 'bin/parley.js'), 'serve', ...roleArgs],
        { cwd: repositoryRoot, env: environment, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = started;
      let gone = false;
      exited = new Promise((resolve) =>
        started.once('exit', (code) => {
          gone = true;
          resolve(code);
        }),
      );
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      await waitFor(
        `${baseUrl}/ready`,
        async () => {
          if (gone) throw new Error(`parley serve exited while starting:\n${log}`);
          return (await readReady())?.status === 200;
        },
        READY_TIMEOUT_MS,
      );
    },
    async ready() {
      const answer = await readReady();
      if (!answer) throw new Error(`${baseUrl}/ready did not answer:\n${log}`);
      return answer.body;
    },
    async signal(name) {
      const running = child;
      if (!running) return null;
      running.kill(name);
      const code = await exited;
      child = undefined;
      return code;
    },
    async dispose() {
      child?.kill('SIGKILL');
      await exited;
      child = undefined;
      await rm(dataDir, { recursive: true, force: true });
    },
    output: () => log,
  };
}
