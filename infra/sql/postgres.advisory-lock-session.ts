import pg from 'pg';
import type { AdvisoryLockSession } from './advisory-lock-session.js';

export interface PostgresAdvisoryLockOptions {
  connectionString: string;
  /** Names the lock: hashed by PostgreSQL (`hashtext`) into the 64-bit key. */
  name: string;
  /** Shown in pg_stat_activity, so an operator sees which backend holds the lock. */
  applicationName: string;
  /** A check or a try that takes longer than this counts as a broken session. Defaults to 5 s. */
  queryTimeoutMs?: number;
}

/**
 * A session advisory lock on a connection of its own, outside every pool: the lock
 * must live exactly as long as this connection, and a pooled connection would be
 * handed to other work (or recycled) while it holds it.
 */
export async function openPostgresAdvisoryLockSession(
  options: PostgresAdvisoryLockOptions,
): Promise<AdvisoryLockSession> {
  const client = new pg.Client({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
    query_timeout: options.queryTimeoutMs ?? 5_000,
    // A peer that vanished (a cut network) is noticed by TCP too, not only by our checks.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
  });
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  let broken = false;
  const markBroken = () => {
    broken = true;
    markLost();
  };
  // Without a listener an 'error' event would crash the process; here it only means "lost".
  client.on('error', markBroken);
  client.on('end', markBroken);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    lost,
    async tryLock() {
      const result = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock(hashtext($1)) as locked',
        [options.name],
      );
      return result.rows[0]?.locked === true;
    },
    async ping() {
      if (broken) throw new Error('the lock session is closed');
      await client.query('select 1');
    },
    async close() {
      if (!broken) {
        // Ending the session would release it too; unlocking first makes it immediate
        // even when a pooler keeps the server connection open.
        await client.query('select pg_advisory_unlock_all()').catch(() => undefined);
      }
      markBroken();
      await client.end().catch(() => undefined);
    },
  };
}
