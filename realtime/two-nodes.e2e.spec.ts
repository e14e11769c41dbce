import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { WsClient, type Frame } from '../test/support/ws-client.js';

describe('two nodes on one PostgreSQL, no broker', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let nodeA: TestServer;
  let nodeB: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('two_nodes');
    // One after the other: the second finds the schema and the JWT key the first made.
    nodeA = await startTestServer('postgres', { DATABASE_URL: database.url });
    nodeB = await startTestServer('postgres', { DATABASE_URL: database.url });
    alice = await registerUser(new ApiClient(nodeA.baseUrl), 'alice');
    bob = await registerUser(new ApiClient(nodeB.baseUrl), 'bob');
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await nodeA?.close();
    await nodeB?.close();
    await database?.drop();
  });

  it('lets a client on each node chat as if on one server', async () => {
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    const conversationId = created.body.id as string;
    const onA = await WsClient.ready(nodeA.baseUrl, alice.token);
    const onB = await WsClient.ready(nodeB.baseUrl, bob.token);
    clients.push(onA, onB);

    for (let turn = 0; turn < 10; turn += 1) {
      const [speaker, body] = turn % 2 === 0 ? [onA, `ping ${turn}`] : [onB, `pong ${turn}`];
      const ack = await speaker.request('message.send', { conversationId, clientMsgId: randomUUID(), body });
      expect(ack.type).toBe('ack');
      // Each waits for the other's line before answering, as people do.
      await Promise.all(
        [onA, onB].map((client) =>
          client.next((frame: Frame) => frame.data?.message?.body === body, `${body} on both nodes`),
        ),
      );
    }
    for (const client of [onA, onB]) {
      const frames = client.streamFrames(conversationId).filter((frame) => frame.type === 'message.create');
      expect(frames.map((frame) => frame.data.message.body)).toEqual(
        Array.from({ length: 10 }, (_, turn) => `${turn % 2 === 0 ? 'ping' : 'pong'} ${turn}`),
      );
      const revs = frames.map((frame) => frame.data.rev as number);
      expect(revs).toEqual(revs.map((_, index) => revs[0]! + index));
    }
  });
});
