import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres } from '../support/private-postgres.js';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../support/wait-for.js';
import {
  expectNothingHungOrLost,
  readyStatus,
  SEND_DEADLINE_MS,
  startLoadedServer,
} from './infra-fault-suite.js';
import {
  ChatLoad,
  HOOK_TIMEOUT_MS,
  TEST_TIMEOUT_MS,
  createRoom,
  sentInLog,
  type ChatRoom,
} from './infra-load.js';

/**
 * PostgreSQL goes away under load and comes back (issue 8, "PostgreSQL restart").
 * The server runs against a private PostgreSQL, never the machine's shared one.
 */

const postgres = await startPrivatePostgres('restart');

describe.skipIf('skipped' in postgres)('PostgreSQL restart during load', { timeout: TEST_TIMEOUT_MS }, () => {
  const server = postgres as Exclude<typeof postgres, { skipped: string }>;
  let parley: TestServer;
  let rooms: ChatRoom[];

  beforeAll(async () => {
    parley = await startLoadedServer({ DATABASE_URL: server.url });
    rooms = [
      await createRoom(parley.baseUrl, 4, 'pgrestart_a'),
      await createRoom(parley.baseUrl, 2, 'pgrestart_b'),
    ];
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await parley?.close();
    await server.destroy();
  }, HOOK_TIMEOUT_MS);

  const ready = () => readyStatus(parley);
  const health = async () => (await fetch(`${parley.baseUrl}/health`)).status;

  for (const mode of ['fast', 'immediate'] as const) {
    it(`survives a stop -m ${mode}: not ready while down, sends fail with unavailable, then it resumes on its own`, async () => {
      const load = ChatLoad.forRooms(parley.baseUrl, rooms, SEND_DEADLINE_MS);
      load.start();
      try {
        await load.waitForAcks(40);

        await server.stop(mode);
        const downSince = load.outcomes.length;
        await waitFor('/ready to say not ready', async () => (await ready()) === 503);
        // The process keeps serving what needs no database.
        expect(await health()).toBe(200);
        await waitFor('sends to fail with unavailable', () =>
          load.outcomes.slice(downSince).some((outcome) => outcome.code === 'unavailable'),
        );
        expect(await ready()).toBe(503);

        await server.start();
        await waitFor('/ready to recover', async () => (await ready()) === 200, 30_000);
        // Sends succeed again without any restart of Parley.
        await load.waitForAcks(40);
      } finally {
        await load.stop();
      }

      await expectNothingHungOrLost(parley, load, rooms, `PostgreSQL stop -m ${mode}`);
      expect(load.count('failed')).toBeGreaterThan(0);
      // The conversations read model caught up too: its lastSeq is the log's, and unread follows from it.
      for (const room of rooms) {
        const log = await sentInLog(parley.parley.infrastructure.eventStore, room.conversationId);
        const conversation = await room.members[1]!.api.get(`/v1/conversations/${room.conversationId}`);
        const body = conversation.body as { lastSeq: number; readSeq: number; unreadCount: number };
        expect(body.lastSeq).toBe(log.length);
        expect(body.unreadCount).toBe(body.lastSeq - body.readSeq);
      }
    });
  }
});
