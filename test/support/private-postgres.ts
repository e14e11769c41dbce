import { execFile } from 'node:child_process';
import { access, chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

/**
 * A PostgreSQL server of a test's own, in a temporary folder on a free port, that
 * the test may stop, crash and start again: the machine's shared server (5432)
 * serves other suites and must never be restarted.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /** `fast`: clients are told and disconnected; `immediate`: the server dies as in a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server if it runs and deletes its folder. */
  destroy(): Promise<void>;
}

export type PrivatePostgresOrSkip = PrivatePostgres | { skipped: string };

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary as the `postgres` user: initdb and the server refuse to run as root. */
function asPostgres(binary: string, args: string[]) {
  const command = path.join(BIN_DIR, binary);
  return process.getuid?.() === 0
    ? run('runuser', ['-u', OS_USER, '--', command, ...args])
    : run(command, args);
}

/**
 * Creates and starts a private server, or answers `{ skipped }` after printing one
 * line saying why (no PostgreSQL binaries, no `postgres` user to run them as).
 */
export async function startPrivatePostgres(label = 'parley'): Promise<PrivatePostgresOrSkip> {
  try {
    await access(path.join(BIN_DIR, 'initdb'));
  } catch {
    return skip(`initdb not found in ${BIN_DIR} (set PG_BIN_DIR)`);
  }
  const root = await mkdtemp(path.join(tmpdir(), `pg-${label}-`));
  const dataDir = path.join(root, 'data');
  try {
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', OS_USER]);
      const { stdout: group } = await run('id', ['-g', OS_USER]);
      await chown(root, Number(stdout.trim()), Number(group.trim()));
    }
    // --no-sync: the folder is thrown away afterwards.
    await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
    return skip(`initdb failed: ${reason}`);
  }

  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses='127.0.0.1'",
    // fsync=off survives a killed server (the kernel keeps the pages), not a killed
    // machine, which no test does. synchronous_commit stays on: an immediate stop
    // would lose commits already answered, which real PostgreSQL never does.
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=60',
  ].join(' ');
  const pgCtl = (args: string[]) => asPostgres('pg_ctl', ['-D', dataDir, ...args]);
  let running = false;

  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      // -w: returns once the server accepts connections.
      await pgCtl(['-o', options, '-l', path.join(root, 'server.log'), '-w', '-t', '30', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      if (!running) return;
      await pgCtl(['-m', mode, '-w', '-t', '30', 'stop']);
      running = false;
    },
    async restart(mode = 'fast') {
      await server.stop(mode);
      await server.start();
    },
    async destroy() {
      await server.stop('immediate').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
    return skip(`pg_ctl start failed: ${reason}`);
  }
  return server;
}

function skip(reason: string): { skipped: string } {
  process.stdout.write(`private PostgreSQL unavailable, its fault suite is skipped: ${reason}\n`);
  return { skipped: reason };
}
