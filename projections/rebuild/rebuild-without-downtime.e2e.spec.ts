import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFeature } from '../../app/features/accounts.feature.js';
import { conversationsFeature } from '../../app/features/conversations.feature.js';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { conversationsProjection } from '../conversations/conversations.projection.js';
import { messagesProjection } from '../messages/messages.projection.js';
import { RebuildInProgressError, UnknownProjectionError } from './rebuild-errors.js';
import { seedChatLog } from './testing/chat-log.js';
import { freshReplay, tableRows } from './testing/fresh-replay.js';

/** The number. */
const SEEDED_EVENTS = 100_000;
/** Generous: seeding, projecting and replaying 100,000 events takes minutes on a busy 2-core machine. */
const SLOW = 1_200_000;

/**
 * Rebuilds without downtime, end to end: a real server over a log of 100,000
 * events, a client that keeps reading and writing over HTTP the whole time, and
 * the two chat projections rebuilt side by side.
 */
describe('rebuilding the chat projections while clients read and write', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let seeded: string[];
  let live: string;

  beforeAll(async () => {
    // Only what the clients use: the other features' projections would replay the 100,000 events too.
    server = await startTestServer(
      'postgres',
      // The client below reads and writes as fast as it can: rate limits are not under test.
      { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_PER_IP_PER_MINUTE: '1000000' },
      [accountsFeature(), conversationsFeature()],
    );
    const api = new ApiClient(server.baseUrl);
    alice = await registerUser(api, 'alice');
    bob = await registerUser(api, 'bob');
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'live',
    });
    expect(created.status).toBe(201);
    live = created.body.id;
    const { eventStore } = server.parley.infrastructure;
    ({ conversations: seeded } = await seedChatLog(eventStore, {
      events: SEEDED_EVENTS,
      members: [alice.id, bob.id],
    }));
    const head = await eventStore.headPosition();
    expect(await server.parley.infrastructure.projections.waitForPosition(head, SLOW)).toBe(true);
  }, SLOW);

  afterAll(async () => {
    await server?.close();
  });

  it('refuses an unknown projection', () => {
    expect(() => server.parley.infrastructure.projections.startRebuild('nonesuch')).toThrow(
      UnknownProjectionError,
    );
  });

  it(
    'serves every read, keeps every acked send, and ends with tables equal to a fresh replay',
    async () => {
      const hub = server.parley.infrastructure.projections;
      const failures: string[] = [];
      const acked: string[] = [];
      /** Sends answered 503 "stored, not readable yet": not acked, but they must not be lost either. */
      const unconfirmed: string[] = [];
      let reads = 0;
      let rebuilding = true;

      const reader = (async () => {
        for (let turn = 0; rebuilding; turn++) {
          const path =
            turn % 2 === 0
              ? '/v1/conversations?limit=20'
              : `/v1/conversations/${seeded[turn % seeded.length]}/messages?limit=50`;
          const response = await bob.api.get(path);
          reads += 1;
          if (response.status !== 200) failures.push(`GET ${path}: ${response.status}`);
        }
      })();
      const writer = (async () => {
        for (let turn = 0; rebuilding; turn++) {
          const clientMsgId = randomUUID();
          const response = await alice.api.post(`/v1/conversations/${live}/messages`, {
            clientMsgId,
            body: `sent during the rebuild ${turn}`,
          });
          if (response.status === 201) acked.push(response.body.id);
          else if (response.status === 503) unconfirmed.push(clientMsgId);
          else failures.push(`POST message: ${response.status}`);
        }
      })();

      const messages = hub.startRebuild('messages');
      const conversations = hub.startRebuild('conversations');
      expect(messages.toVersion).toBe(messages.fromVersion + 1);
      expect(() => hub.startRebuild('messages')).toThrow(RebuildInProgressError);
      const during = await hub.status();
      expect(during.find((status) => status.name === 'messages')?.status).toBe('rebuilding');
      try {
        await Promise.all([messages.done, conversations.done]);
      } finally {
        rebuilding = false;
        await Promise.all([reader, writer]);
      }

      expect(failures).toEqual([]);
      expect(reads).toBeGreaterThan(0);
      expect(acked.length).toBeGreaterThan(0);
      const after = await hub.status();
      expect(after.find((status) => status.name === 'messages')?.status).not.toBe('rebuilding');

      const { sql, eventStore } = server.parley.infrastructure;
      const head = await eventStore.headPosition();
      expect(await hub.waitForPosition(head, SLOW)).toBe(true);
      const present = await sql.query<{ id: string }>(
        'select id from messages where conversation_id = $1 and id = any($2::uuid[])',
        [live, acked],
      );
      expect(present.length).toBe(acked.length);
      const stored = await sql.query<{ id: string }>(
        'select id from messages where conversation_id = $1 and client_msg_id = any($2::uuid[])',
        [live, unconfirmed],
      );
      expect(stored.length).toBe(unconfirmed.length);
      const page = await alice.api.get(`/v1/conversations/${live}/messages?limit=1`);
      expect(page.body.items[0].id).toBe(acked[acked.length - 1]);

      const reference = await freshReplay(
        'postgres',
        eventStore,
        [conversationsProjection, messagesProjection],
        head,
      );
      for (const [table, rows] of reference) {
        expect(rows.length).toBeGreaterThan(0);
        const rebuilt = await tableRows(sql, table);
        // One assertion per table, without a 100,000-line diff when it fails.
        expect(rebuilt.length, table).toBe(rows.length);
        expect(rebuilt.filter((row, index) => row !== rows[index]).slice(0, 3), table).toEqual([]);
      }
    },
    SLOW,
  );
});
