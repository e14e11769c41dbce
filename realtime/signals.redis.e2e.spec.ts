import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { openTcpRelay, type TcpRelay } from '../test/support/tcp-relay.js';
import { waitFor } from '../test/support/wait-for.js';
import { WsClient, type Frame } from '../test/support/ws-client.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const presenceOf = (userId: string, status: string) => (frame: Frame) =>
  frame.type === 'presence.update' && frame.data.userId === userId && frame.data.status === status;

/**
 * Two nodes on one PostgreSQL and one Redis (same REDIS_KEY_PREFIX). Node A
 * reaches Redis through a relay the test cuts, as a Redis restart would.
 */
describe('ephemeral signals across two nodes through Redis', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let relay: TcpRelay;
  let nodeA: TestServer;
  let nodeB: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let conversationId: string;
  let keyPrefix: string;
  let redis: Redis;
  const clients: WsClient[] = [];
  const connect = async (node: TestServer, user: RegisteredUser) => {
    const client = await WsClient.ready(node.baseUrl, user.token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    database = await createTestDatabase('signals_redis');
    relay = await openTcpRelay(new URL(REDIS_URL));
    keyPrefix = `parley:test:signals:${randomUUID()}:`;
    redis = new Redis(REDIS_URL);
    const shared = {
      DATABASE_URL: database.url,
      REDIS_KEY_PREFIX: keyPrefix,
      PRESENCE_OFFLINE_GRACE_MS: '500',
      // Renewals and reconciliation every second.
      PRESENCE_TTL_SECONDS: '3',
    };
    nodeA = await startTestServer('postgres', { ...shared, REDIS_URL: relay.url });
    nodeB = await startTestServer('postgres', { ...shared, REDIS_URL });
    const api = new ApiClient(nodeA.baseUrl);
    [alice, bob, carol] = (await Promise.all(
      ['alice', 'bob', 'carol'].map((name) => registerUser(api, name)),
    )) as [RegisteredUser, RegisteredUser, RegisteredUser];
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      title: 'three',
      memberIds: [bob.id, carol.id],
    });
    conversationId = created.body.id as string;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await nodeA?.close();
    await nodeB?.close();
    await relay?.close();
    await database?.drop();
    // Presence keys lapse by themselves; last-seen keys are cleared here.
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    redis.disconnect();
  });

  it('shows a user on the other node online, then offline with lastSeenAt', async () => {
    const watcher = await connect(nodeA, alice);
    const bobOnB = await connect(nodeB, bob);
    expect(await watcher.request('presence.subscribe', { userIds: [bob.id] })).toMatchObject({ type: 'ack' });
    await watcher.next(presenceOf(bob.id, 'online'), 'bob online');
    const closedAt = Date.now();
    await bobOnB.close();
    const offline = await watcher.next(presenceOf(bob.id, 'offline'), 'bob offline', 5_000);
    expect(Date.parse(offline.data.lastSeenAt as string)).toBeGreaterThanOrEqual(closedAt - 1_000);
  });

  it('keeps a user online while another node still holds a connection of theirs', async () => {
    const watcher = await connect(nodeB, alice);
    const [onA, onB] = [await connect(nodeA, carol), await connect(nodeB, carol)];
    await watcher.request('presence.subscribe', { userIds: [carol.id] });
    await watcher.next(presenceOf(carol.id, 'online'), 'carol online');
    await onA.close();
    // Once node A has let carol go (after its grace), only node B holds her.
    const nodes = `${keyPrefix}presence:n:${carol.id}`;
    await waitFor('node A to unregister carol', async () => (await redis.zcard(nodes)) === 1);
    const lastClosedAt = Date.now();
    await onB.close();
    const offline = await watcher.next(presenceOf(carol.id, 'offline'), 'carol offline', 5_000);
    // Had node A said offline, that frame would come first, dated before the last close.
    expect(Date.parse(offline.data.lastSeenAt as string)).toBeGreaterThanOrEqual(lastClosedAt);
  });

  it('says offline by itself when the node holding a user dies', async () => {
    // A node that registered carol, then crashed: its registration is never renewed.
    const nodes = `${keyPrefix}presence:n:${carol.id}`;
    await redis.zadd(nodes, Date.now() + 3_000, `crashed-${randomUUID()}`);
    const watcher = await connect(nodeA, alice);
    await watcher.request('presence.subscribe', { userIds: [carol.id] });
    await watcher.next(presenceOf(carol.id, 'online'), 'carol online on the doomed node');
    const offline = await watcher.next(presenceOf(carol.id, 'offline'), 'carol offline', 10_000);
    expect(offline.data.lastSeenAt).toEqual(expect.any(String));
  });

  it('carries typing and delivery receipts to the other node', async () => {
    const [sender, reader] = [await connect(nodeA, alice), await connect(nodeB, bob)];
    sender.send({ type: 'typing.start', data: { conversationId } });
    await reader.next(
      (frame) =>
        frame.type === 'typing.update' && frame.data.userId === alice.id && frame.data.typing === true,
      'alice typing, on node B',
    );
    const ack = await sender.request('message.send', {
      conversationId,
      clientMsgId: randomUUID(),
      body: 'hi',
    });
    const seq = ack.data.seq as number;
    const receipt = await sender.next(
      (frame) => frame.type === 'message.delivery' && frame.data.userId === bob.id && frame.data.seq === seq,
      'bob’s delivery receipt, on node A',
    );
    expect(receipt.data).toEqual({ conversationId, userId: bob.id, seq });
  });

  it('goes on chatting while Redis is away, and presence recovers when it is back', async () => {
    const [onA, onB] = [await connect(nodeA, alice), await connect(nodeB, bob)];
    const watcher = await connect(nodeB, bob);
    await watcher.request('presence.subscribe', { userIds: [carol.id] });
    await watcher.next(presenceOf(carol.id, 'offline'), 'carol offline at first');

    await relay.cut();
    for (const [speaker, listener, body] of [
      [onA, onB, 'during the outage, from A'],
      [onB, onA, 'during the outage, from B'],
    ] as const) {
      const ack = await speaker.request('message.send', { conversationId, clientMsgId: randomUUID(), body });
      expect(ack.type).toBe('ack');
      await listener.next((frame) => frame.data?.message?.body === body, body);
    }
    // Carol arrives on A while A cannot reach Redis: nobody hears of it yet.
    await connect(nodeA, carol);

    await relay.restore();
    await watcher.next(presenceOf(carol.id, 'online'), 'carol online once Redis is back', 15_000);
  });

  it('says offline when the node holding a user shuts down', async () => {
    const watcher = await connect(nodeA, alice);
    await connect(nodeB, bob);
    await watcher.request('presence.subscribe', { userIds: [bob.id] });
    await watcher.next(presenceOf(bob.id, 'online'), 'bob online');
    await nodeB.close();
    await watcher.next(presenceOf(bob.id, 'offline'), 'bob offline after node B stopped', 5_000);
  });
});
