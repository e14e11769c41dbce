import { usersProjection } from '../../../app/features/accounts.feature.js';
import { openPostgresEventStore } from '../../../infra/eventstore/open-event-store.js';
import { openPostgresSearchIndex } from '../../../infra/search/postgres/postgres.search-index.js';
import { createPostgresClient } from '../../../infra/sql/postgres.sql-client.js';
import { chatProjections } from '../../../projections/index.js';
import { freshReplay, tableRows } from '../../../projections/rebuild/testing/fresh-replay.js';
import { searchProjection } from '../../../projections/search/search.projection.js';

/** The SQL read models a server keeps that a replay of its log must reproduce. */
const READ_MODEL_TABLES = [
  'users',
  'conversations',
  'conversation_members',
  'messages',
  'message_reactions',
  'message_search',
];

/**
 * What the read models must hold: the server's SQL projections (users,
 * conversations, messages, search) replayed from the start of the log at
 * `sourceUrl` into an empty database, by a runner that never crashed.
 */
export async function replayIntoFreshDatabase(sourceUrl: string): Promise<Record<string, string[]>> {
  const eventStore = await openPostgresEventStore(sourceUrl, { poolSize: 2 });
  try {
    const replayed = await freshReplay(
      'postgres',
      eventStore,
      async (sql) => [
        usersProjection,
        ...chatProjections,
        searchProjection(await openPostgresSearchIndex(sql)),
      ],
      await eventStore.headPosition(),
    );
    return Object.fromEntries(
      READ_MODEL_TABLES.map((table) => {
        const rows = replayed.get(table);
        if (!rows) throw new Error(`no projection replayed the table ${table}`);
        return [table, rows];
      }),
    );
  } finally {
    await eventStore.close();
  }
}

/** The same tables of the database at `url`, in the same form. */
export async function dumpReadModels(url: string): Promise<Record<string, string[]>> {
  const sql = createPostgresClient({ connectionString: url, max: 1, applicationName: 'read-model-dump' });
  try {
    const dump: Record<string, string[]> = {};
    for (const table of READ_MODEL_TABLES) dump[table] = await tableRows(sql, table);
    return dump;
  } finally {
    await sql.close();
  }
}
