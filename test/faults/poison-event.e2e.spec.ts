import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Infrastructure } from '../../app/compose.js';
import { allFeatures } from '../../app/features.js';
import type { Projection } from '../../projections/projection.js';
import { ProjectionRunner } from '../../projections/runner/projection-runner.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient } from '../support/ws-client.js';

const PROBE = 'faults-poison-probe';
const POISON = 'this body poisons the probe projection';

/**
 * A projection beside the real ones that records every message it applies (no key:
 * a message applied twice shows as two rows) and throws on the poison body until
 * `fixed` — as a projection with a bug in one event's handling would.
 */
function poisonedProbe(state: { fixed: boolean; tries: number }): Projection {
  return {
    name: PROBE,
    version: 1,
    eventTypes: ['MessageSent'],
    migrations: [
      {
        id: '001-seen',
        sql: 'create table if not exists faults_poison_seen (message_id uuid not null, conversation_id uuid not null)',
      },
    ],
    async apply(tx, event) {
      const data = event.data as { messageId: string; body: string };
      if (data.body === POISON && !state.fixed) {
        state.tries += 1;
        throw new Error('the probe cannot digest this message');
      }
      await tx.query('insert into faults_poison_seen (message_id, conversation_id) values ($1, $2)', [
        data.messageId,
        event.stream.slice('conversation-'.length),
      ]);
    },
  };
}

describe('a poison event in a running server', () => {
  const probeState = { fixed: false, tries: 0 };
  let server: TestServer;
  let infra: Infrastructure;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    server = await startTestServer('postgres', {}, [
      ...allFeatures,
      (infrastructure) => {
        infrastructure.projections.register(poisonedProbe(probeState));
        return {};
      },
    ]);
    infra = server.parley.infrastructure;
    const api = new ApiClient(server.baseUrl);
    alice = await registerUser(api, 'alice');
    bob = await registerUser(api, 'bob');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  async function createGroup(title: string): Promise<string> {
    const created = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id], title });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  const probeStatus = async () => (await infra.projections.status()).find((status) => status.name === PROBE);

  async function probeRows(): Promise<string[]> {
    const rows = await infra.sql.query<{ message_id: string }>('select message_id from faults_poison_seen');
    return rows.map((row) => row.message_id).sort();
  }

  async function loggedMessageIds(): Promise<string[]> {
    const events = await infra.eventStore.readAll({
      filter: { eventTypes: ['MessageSent'] },
      maxCount: 10_000,
    });
    return events.map((event) => (event.data as { messageId: string }).messageId).sort();
  }

  it('is retried at most 10 times, parked with its error while other conversations flow, and replays after the fix', async () => {
    const poisoned = await createGroup('poisoned');
    const healthy = await createGroup('healthy');
    const watcher = await WsClient.ready(server.baseUrl, bob.token);
    const sender = await WsClient.ready(server.baseUrl, alice.token);

    const poison = await sender.request('message.send', {
      conversationId: poisoned,
      clientMsgId: randomUUID(),
      body: POISON,
    });
    expect(poison.type).toBe('ack');
    // While the probe retries the poison, the other conversation's sends are acked and delivered live.
    for (const body of ['one', 'two', 'three']) {
      const ack = await sender.request('message.send', {
        conversationId: healthy,
        clientMsgId: randomUUID(),
        body,
      });
      expect(ack.type).toBe('ack');
    }
    await watcher.collect(
      (frame) => frame.type === 'message.create' && frame.data.conversationId === healthy,
      3,
      'the healthy conversation live',
    );
    // A REST send answers once the read models have it (201, or 503 after 5 s): it does not
    // wait out the probe's retries (about 13 s of backoff), as only the probe is held back.
    const duringRetries = await alice.api.post(`/v1/conversations/${healthy}/messages`, {
      clientMsgId: randomUUID(),
      body: 'four',
    });
    expect(duringRetries.status).toBe(201);
    expect(probeState.tries).toBeLessThan(8);
    const readDuringRetries = await bob.api.get(`/v1/conversations/${healthy}/messages`);
    expect(readDuringRetries.body.items).toHaveLength(4);

    await waitFor('the poison to be parked', async () => (await probeStatus())?.parked === 1, 60_000);
    const [parked] = await infra.sql.query<{ error: string; attempts: number; event_type: string }>(
      'select error, attempts, event_type from projection_parked where projection = $1',
      [PROBE],
    );
    expect(parked).toMatchObject({ event_type: 'MessageSent' });
    expect(parked!.error).toContain('the probe cannot digest this message');
    expect(parked!.attempts).toBeLessThanOrEqual(10);
    expect(probeState.tries).toBe(parked!.attempts);
    // Only the probe parked it: the real read models hold the poison message.
    const poisonedPage = await bob.api.get(`/v1/conversations/${poisoned}/messages`);
    expect(poisonedPage.body.items.map((message: { body: string }) => message.body)).toEqual([POISON]);
    expect(
      (await infra.projections.status()).filter((status) => status.parked > 0).map((s) => s.name),
    ).toEqual([PROBE]);

    // Past the parked event, both conversations flow again, through every projection.
    for (const conversationId of [poisoned, healthy]) {
      const sent = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
        clientMsgId: randomUUID(),
        body: 'after the poison',
      });
      expect(sent.status).toBe(201);
    }
    const healthyPage = await bob.api.get(`/v1/conversations/${healthy}/messages`);
    expect(healthyPage.body.items.map((message: { body: string }) => message.body)).toEqual([
      'one',
      'two',
      'three',
      'four',
      'after the poison',
    ]);
    const everyMessage = await loggedMessageIds();
    const poisonId = poison.data.messageId as string;
    // The probe catches up on its own after parking, then rejoins.
    await waitFor('the probe to catch up', async () => (await probeStatus())?.lagEvents === 0, 30_000);
    expect(await probeRows()).toEqual(everyMessage.filter((id) => id !== poisonId));

    // The fix ships: replaying the parked event applies it once and empties the parked table.
    probeState.fixed = true;
    const replayer = new ProjectionRunner({
      sql: infra.sql,
      eventStore: infra.eventStore,
      projections: [poisonedProbe(probeState)],
    });
    expect(await replayer.replayParked(PROBE)).toBe(1);
    expect(await probeRows()).toEqual(everyMessage);
    expect((await probeStatus())?.parked).toBe(0);
    expect(await replayer.replayParked(PROBE)).toBe(0);
    expect(await probeRows()).toEqual(everyMessage);

    await Promise.all([watcher.close(), sender.close()]);
  }, 120_000);
});
