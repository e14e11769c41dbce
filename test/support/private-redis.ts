import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './private-postgres.js';
import { waitFor } from './wait-for.js';

/**
 * A Redis of a test's own on a free port, a child process the test may kill and
 * start again on the same port: the machine's shared Redis (6379) serves other
 * suites and must never be stopped. Nothing is persisted, so a restart is empty,
 * as a crashed cache would be.
 */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** SIGKILL: gone at once, every connection reset. */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export type PrivateRedisOrSkip = PrivateRedis | { skipped: string };

export async function startPrivateRedis(): Promise<PrivateRedisOrSkip> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const server: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const started = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      started.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const failed = new Promise<never>((_, reject) => {
        started.once('error', reject);
        started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      });
      failed.catch(() => undefined);
      await Promise.race([
        waitFor('redis-server to accept connections', () => /Ready to accept/.test(output)),
        failed,
      ]);
      child = started;
    },
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    },
    destroy: () => server.kill(),
  };
  try {
    await server.start();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
    process.stdout.write(`private Redis unavailable, its fault suite is skipped: ${reason}\n`);
    return { skipped: reason };
  }
  return server;
}
