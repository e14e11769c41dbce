import { randomUUID } from 'node:crypto';
import { SqlEventStore } from '../infra/eventstore/sql/sql-event-store.js';
import { openPostgresSearchIndex } from '../infra/search/postgres/postgres.search-index.js';
import { migrate } from '../infra/sql/migrate.js';
import { createPostgresClient } from '../infra/sql/postgres.sql-client.js';
import { conversationsProjection, messagesProjection, type Projection } from '../projections/index.js';
import { startProjectionRebuild } from '../projections/rebuild/projection-rebuild.js';
import { seedChatLog } from '../projections/rebuild/testing/chat-log.js';
import { ensureCheckpoints } from '../projections/runner/checkpoints.js';
import { runnerMigrations } from '../projections/runner/runner.schema.js';
import { searchProjection } from '../projections/search/search.projection.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { report, round } from './stats.js';

const EVENTS = Number(process.env.BENCH_REBUILD_EVENTS ?? 100_000);

/**
 * Rebuilds of the PostgreSQL read models over a chat log of 100,000 events (sends,
 * edits, deletions, reactions, renames): events of the log replayed per second
 * into the new tables, catch-up and switch included.
 *
 * The live projections are declared caught up (checkpoints at the head, empty
 * tables) instead of being projected first: a rebuild's work does not depend on
 * what the live tables hold, and the bench would otherwise spend most of its time
 * in the runner. `events` counts the log's events the rebuild covered; `handled`
 * those the projection applies (the others it only skips).
 */
export async function benchRebuild(): Promise<void> {
  const database = await createTestDatabase('bench-rebuild');
  const sql = createPostgresClient({ connectionString: database.url, max: 6, applicationName: 'bench' });
  const store = await SqlEventStore.open(sql);
  try {
    const members = Array.from({ length: 5 }, () => randomUUID());
    await seedChatLog(store, { events: EVENTS, members });
    const head = await store.headPosition();
    const search = searchProjection(await openPostgresSearchIndex(sql));
    const projections: Projection[] = [messagesProjection, conversationsProjection, search];
    await migrate(sql, 'projection-runner', runnerMigrations);
    for (const projection of projections)
      await migrate(sql, `projection:${projection.name}`, projection.migrations);
    await ensureCheckpoints(sql, projections);
    await sql.query('update projection_checkpoints set position = $1::bigint', [head.toString()]);

    const rebuild = async (projection: Projection) => {
      const result = await startProjectionRebuild({ sql, eventStore: store, projection, toVersion: 2 }).done;
      return { projection: projection.name, handled: result.applied, seconds: result.seconds };
    };
    for (const projection of projections) {
      const { handled, seconds } = await rebuild(projection);
      report({
        workload: 'rebuild',
        engine: 'postgres',
        projection: projection.name,
        events: Number(head),
        handled,
        seconds: round(seconds),
        eventsPerSec: round(Number(head) / seconds, 0),
      });
    }

    // The chat read models side by side, as an operator rebuilding after a change to both would.
    const started = performance.now();
    const results = await Promise.all([messagesProjection, conversationsProjection].map(rebuild));
    const seconds = (performance.now() - started) / 1000;
    report({
      workload: 'rebuild',
      engine: 'postgres',
      projection: 'messages+conversations (concurrently)',
      events: Number(head),
      handled: results.reduce((sum, result) => sum + result.handled, 0),
      seconds: round(seconds),
      eventsPerSec: round(Number(head) / seconds, 0),
    });
  } finally {
    await store.close();
    await sql.close();
    await database.drop();
  }
}
