import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClient } from '../../infra/sql/postgres.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { CHECKPOINTS_CHANNEL, CheckpointNotifier, CheckpointWatcher } from './checkpoint-watcher.js';
import { ensureCheckpoints } from './checkpoints.js';
import { runnerMigrations } from './runner.schema.js';

/** Far longer than any wait here should take: the tests wait for conditions, never for this. */
const PATIENT_MS = 30_000;

describe('waiting on the checkpoints another process commits', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: SqlClient;
  const watchers: CheckpointWatcher[] = [];

  async function setCheckpoints(positions: Record<string, number>): Promise<void> {
    for (const [name, position] of Object.entries(positions))
      await sql.query('update projection_checkpoints set position = $2 where name = $1', [name, position]);
  }

  async function startWatcher(names: string[], pollMs?: number): Promise<CheckpointWatcher> {
    const watcher = new CheckpointWatcher({ sql, names, pollMs });
    watchers.push(watcher);
    await watcher.start();
    return watcher;
  }

  beforeAll(async () => {
    database = await createTestDatabase('checkpoint_watcher');
    sql = createPostgresClient({ connectionString: database.url, max: 4 });
    await migrate(sql, 'projection-runner', runnerMigrations);
    await ensureCheckpoints(sql, [
      { name: 'alpha', version: 1 },
      { name: 'beta', version: 1 },
    ]);
  });
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((watcher) => watcher.stop()));
  });
  afterAll(async () => {
    await sql?.close();
    await database?.drop();
  });

  it('wakes a wait once the lowest checkpoint reaches it, on the notification after the commit', async () => {
    await setCheckpoints({ alpha: 0, beta: 0 });
    // Polling far apart: only the notifications can end this wait in time.
    const watcher = await startWatcher(['alpha', 'beta'], PATIENT_MS);
    const notifier = new CheckpointNotifier(sql);
    let settled = false;
    const waiting = watcher.waitForPosition(10n, PATIENT_MS).finally(() => (settled = true));

    await setCheckpoints({ alpha: 10 });
    notifier.notify(10n);
    await notifier.flush();
    // Beta is still behind after the first wake-up; the notification after its commit ends the wait.
    await setCheckpoints({ beta: 12 });
    notifier.notify(12n);
    await expect(waiting).resolves.toBe(true);
    expect(settled).toBe(true);
    // The lowest checkpoint is alpha's 10: that is as far as waits are answered at once.
    await expect(watcher.waitForPosition(10n, 0)).resolves.toBe(true);
    await expect(watcher.waitForPosition(11n, 0)).resolves.toBe(false);
  });

  it('keeps a wait open while one projection is behind the position', async () => {
    await setCheckpoints({ alpha: 50, beta: 20 });
    const watcher = await startWatcher(['alpha', 'beta'], 20);
    // Many polls happen in 300 ms; none may answer true while beta is at 20.
    await expect(watcher.waitForPosition(30n, 300)).resolves.toBe(false);
  });

  it('still ends a wait when the notification never comes, by reading again', async () => {
    await setCheckpoints({ alpha: 0, beta: 0 });
    const watcher = await startWatcher(['alpha', 'beta'], 20);
    const waiting = watcher.waitForPosition(40n, PATIENT_MS);
    await setCheckpoints({ alpha: 40, beta: 45 });
    await expect(waiting).resolves.toBe(true);
  });

  it('never counts a projection without a checkpoint row as caught up', async () => {
    await setCheckpoints({ alpha: 100, beta: 100 });
    const watcher = await startWatcher(['alpha', 'beta', 'gamma'], 20);
    await expect(watcher.waitForPosition(1n, 300)).resolves.toBe(false);
  });

  it('answers false to the waits still open when it stops', async () => {
    await setCheckpoints({ alpha: 0, beta: 0 });
    const watcher = await startWatcher(['alpha', 'beta'], PATIENT_MS);
    const waiting = watcher.waitForPosition(5n, PATIENT_MS);
    await watcher.stop();
    await expect(waiting).resolves.toBe(false);
  });

  it('sends the newest position on the checkpoints channel', async () => {
    const payloads: (string | null)[] = [];
    const unlisten = await sql.listen(CHECKPOINTS_CHANNEL, (payload) => payloads.push(payload));
    try {
      const notifier = new CheckpointNotifier(sql);
      for (const position of [1n, 2n, 3n, 7n]) notifier.notify(position);
      await notifier.flush();
      // Positions sent while one was on its way fold into one: the newest.
      const deadline = Date.now() + PATIENT_MS;
      while (!payloads.includes('7') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(payloads).toEqual(['1', '7']);
    } finally {
      await unlisten();
    }
  });
});
