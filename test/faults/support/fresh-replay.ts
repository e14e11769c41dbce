import type pg from 'pg';
import { usersProjection } from '../../../app/features/accounts.feature.js';
import { openPostgresEventStore } from '../../../infra/eventstore/open-event-store.js';
import { openPostgresSearchIndex } from '../../../infra/search/postgres/postgres.search-index.js';
import { createPostgresClient } from '../../../infra/sql/postgres.sql-client.js';
import { chatProjections } from '../../../projections/index.js';
import { ProjectionRunner } from '../../../projections/runner/projection-runner.js';
import { searchProjection } from '../../../projections/search/search.projection.js';
import { createTestDatabase } from '../../support/postgres.js';
import { openDatabase } from './log-audit.js';

/** The SQL read models a server keeps, each dumped whole (every column) in a stable order. */
const READ_MODEL_TABLES: Record<string, string> = {
  users: 'id',
  conversations: 'id',
  conversation_members: 'conversation_id, user_id',
  messages: 'id',
  message_reactions: 'message_id, emoji, user_id',
  message_search: 'message_id',
};

/** Every row of every read-model table, as JSON text, in key order. */
export async function dumpReadModels(db: pg.Client): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const [table, key] of Object.entries(READ_MODEL_TABLES)) {
    const { rows } = await db.query<{ row: string }>(
      `select row_to_json(t)::text as row from ${table} t order by ${key}`,
    );
    dump[table] = rows.map((row) => row.row);
  }
  return dump;
}

/**
 * What the read models must hold: the server's SQL projections (users,
 * conversations, messages, search) run from position 0 of the same log into an
 * empty database, by a runner that never crashed. Resolves to that database's dump.
 */
export async function replayIntoFreshDatabase(sourceUrl: string): Promise<Record<string, string[]>> {
  const fresh = await createTestDatabase('replay');
  const sql = createPostgresClient({ connectionString: fresh.url, max: 4, applicationName: 'fresh-replay' });
  const eventStore = await openPostgresEventStore(sourceUrl, { poolSize: 2 });
  try {
    const index = await openPostgresSearchIndex(sql);
    const runner = new ProjectionRunner({
      sql,
      eventStore,
      projections: [usersProjection, ...chatProjections, searchProjection(index)],
    });
    await runner.start();
    const head = await eventStore.headPosition();
    const caughtUp = await runner.waitForPosition(head, 120_000);
    await runner.stop();
    if (!caughtUp) throw new Error(`the fresh replay did not reach position ${head}`);
    const db = await openDatabase(fresh.url);
    try {
      return await dumpReadModels(db);
    } finally {
      await db.end();
    }
  } finally {
    await eventStore.close();
    await sql.close();
    await fresh.drop();
  }
}
