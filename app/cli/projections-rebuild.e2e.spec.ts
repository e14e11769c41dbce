import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { seedChatLog } from '../../projections/rebuild/testing/chat-log.js';
import { ApiClient, registerUser } from '../../test/support/api-client.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { runParley } from './testing/run-parley.js';

const SLOW = 300_000;

async function tableOid(sql: SqlClient, table: string): Promise<string> {
  const [row] = await sql.query<{ oid: string }>('select $1::regclass::oid::text as oid', [table]);
  return row!.oid;
}

describe('parley projections rebuild and replay-parked', () => {
  let server: TestServer;
  let databaseUrl: string;
  let sql: SqlClient;

  beforeAll(async () => {
    server = await startTestServer('postgres');
    databaseUrl = server.parley.infrastructure.config.DATABASE_URL!;
    sql = server.parley.infrastructure.sql;
    const api = new ApiClient(server.baseUrl);
    const [alice, bob] = [await registerUser(api, 'alice'), await registerUser(api, 'bob')];
    const { eventStore, projections } = server.parley.infrastructure;
    await seedChatLog(eventStore, { events: 2_000, members: [alice.id, bob.id], perConversation: 500 });
    expect(await projections.waitForPosition(await eventStore.headPosition(), SLOW)).toBe(true);
  }, SLOW);

  afterAll(async () => {
    await server?.close();
  });

  it(
    'rebuilds a projection beside the running server, with progress on stderr and the outcome on stdout',
    async () => {
      const before = await tableOid(sql, 'messages');
      const rows = await sql.query<{ count: string }>('select count(*)::text as count from messages');
      const run = await runParley(databaseUrl, 'projections', 'rebuild', 'messages');
      expect(run.stderr).toMatch(/^messages: replaying \d+% \(\d+\/\d+ positions, \d+ events\)$/m);
      expect(run.stderr).toMatch(/^messages: done 100%/m);
      expect(run.stdout).toMatch(/^rebuilt messages: version 1 -> 2, \d+ events replayed in [\d.]+ s/);
      expect(run.code).toBe(0);
      expect(await tableOid(sql, 'messages')).not.toBe(before);
      expect(await sql.query('select count(*)::text as count from messages')).toEqual(rows);
    },
    SLOW,
  );

  it(
    'answers exit code 1 and names the known projections for an unknown one',
    async () => {
      const run = await runParley(databaseUrl, 'projections', 'rebuild', 'nonesuch');
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no projection named nonesuch \(known: .*messages/);
      expect(run.stdout).toBe('');
    },
    SLOW,
  );

  it(
    'answers exit code 2 with the usage when the name is missing, and 0 for --help',
    async () => {
      const missing = await runParley(databaseUrl, 'projections', 'rebuild');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/missing projection name/);
      const help = await runParley(databaseUrl, 'projections', 'replay-parked', '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/parley projections replay-parked <name>/);
    },
    SLOW,
  );

  it(
    'replays parked events: exit 0 when all apply, 1 when one fails again and stays parked',
    async () => {
      const none = await runParley(databaseUrl, 'projections', 'replay-parked', 'messages');
      expect(none).toMatchObject({ code: 0, stdout: 'no parked events for messages\n' });

      // A reaction applied already (replaying it changes nothing), and an event no longer where it was parked.
      const [reaction] = await sql.query<{ position: string; stream: string; revision: number; id: string }>(
        `select position::text as position, stream_name as stream, revision, event_id::text as id from es_events
        where type = 'ReactionAdded' order by position limit 1`,
      );
      await sql.query(
        `insert into projection_parked (projection, position, stream, revision, event_id, event_type, error, attempts)
       values ('messages', $1::bigint, $2, $3, $4, 'ReactionAdded', 'test: parked', 8),
              ('messages', 1, 'nowhere', 0, '00000000-0000-4000-8000-000000000000', 'MessageSent', 'test: parked', 8)`,
        [reaction!.position, reaction!.stream, reaction!.revision, reaction!.id],
      );
      const run = await runParley(databaseUrl, 'projections', 'replay-parked', 'messages');
      expect(run.stdout).toBe('replayed 1 of 2 parked events of messages; 1 still parked\n');
      expect(run.stderr).toMatch(/1 parked events of messages failed again/);
      expect(run.code).toBe(1);
      const left = await sql.query<{ event_id: string }>(
        `select event_id from projection_parked where projection = 'messages'`,
      );
      expect(left).toEqual([{ event_id: '00000000-0000-4000-8000-000000000000' }]);
    },
    SLOW,
  );
});
