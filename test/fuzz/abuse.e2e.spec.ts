/**
 * Resource abuse by one user on a real server: a flood of connections, a flood of
 * frames, thousands of conversations, a group filled to its member limit. Each
 * scenario must leave the server serving everyone else, its limits answered with
 * the documented close code or error.
 *
 * The client that never reads (slow consumer, closed with 4008 once its send
 * buffer is full) is proven in realtime/health.e2e.spec.ts and not repeated here.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationCommandsOf } from '../../app/features/conversation-commands.shared.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient } from '../support/ws-client.js';

const MAX_CONNECTIONS = 5;
const RATE_LIMIT_BURST = 10;
const GROUP_MAX_MEMBERS = 3;
const CONVERSATIONS = Number(process.env.FUZZ_ABUSE_CONVERSATIONS ?? 2000);
const MiB = 1024 * 1024;

describe('resource abuse', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let others: RegisteredUser[];
  const clients: WsClient[] = [];
  const held: string[] = [];

  const open = async (user: RegisteredUser) => {
    const client = await WsClient.connect(server.baseUrl, { token: user.token });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer('postgres', {
      WS_MAX_CONNECTIONS_PER_USER: String(MAX_CONNECTIONS),
      // A burst of ten frames, then (practically) none: the refill is one frame every 1,000 s.
      WS_RATE_LIMIT_PER_SECOND: '0.001',
      WS_RATE_LIMIT_BURST: String(RATE_LIMIT_BURST),
      GROUP_MAX_MEMBERS: String(GROUP_MAX_MEMBERS),
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    });
    const anonymous = new ApiClient(server.baseUrl);
    const users = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((label) => registerUser(anonymous, label)),
    );
    [alice, bob, ...others] = users as [RegisteredUser, RegisteredUser, ...RegisteredUser[]];
  });

  afterAll(async () => {
    console.log(`abuse scenarios held: ${held.length} (${held.join(', ')})`);
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  it('closes connections past the per-user cap with 4429, and keeps the first ones and other users served', async () => {
    const admitted = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(alice)));
    for (const client of admitted) await client.ping();

    const flood = await Promise.all(Array.from({ length: 40 }, () => open(alice)));
    const closes = await Promise.all(flood.map((client) => client.closed));
    expect(new Set(closes.map((close) => close.code))).toEqual(new Set([4429]));

    for (const client of admitted) await client.ping();
    const bobsClient = await open(bob);
    await bobsClient.ping();

    // A closed connection frees its place.
    await admitted[0]!.close();
    const replacement = await open(alice);
    await replacement.ping();
    held.push('connection flood');
  });

  it('answers a flood of frames with rate_limited errors, stores none of them, and stays bounded', async () => {
    const { body: conversation } = await bob.api.post('/v1/conversations', { kind: 'group', memberIds: [] });
    const client = await open(bob);
    const memoryBefore = process.memoryUsage();
    const frames = 3_000;
    for (let index = 0; index < frames; index += 1) {
      client.send({
        type: 'message.send',
        id: index,
        data: { conversationId: conversation.id, clientMsgId: randomUUID(), body: `flood ${index}` },
      });
    }
    const answers = await client.collect(
      (frame) => typeof frame.id === 'number',
      frames,
      'an answer to every frame',
    );
    const refused = answers.filter((frame) => frame.type === 'error' && frame.data.code === 'rate_limited');
    const acked = answers.filter((frame) => frame.type === 'ack');
    expect(acked.length).toBeLessThanOrEqual(RATE_LIMIT_BURST);
    expect(refused.length + acked.length).toBe(frames);
    expect(new Set(answers.map((frame) => frame.id)).size).toBe(frames);

    // Acks do not wait for the read models: wait for them, then check nothing more arrived.
    const lastSeq = async () =>
      (await bob.api.get(`/v1/conversations/${conversation.id}`)).body.lastSeq as number;
    await waitFor('the acked sends to be readable', async () => (await lastSeq()) >= acked.length);
    expect(await lastSeq()).toBe(acked.length);
    const memoryAfter = process.memoryUsage();
    console.log(
      `memory (frame flood): heap ${(memoryBefore.heapUsed / MiB).toFixed(0)} → ${(memoryAfter.heapUsed / MiB).toFixed(0)} MiB`,
    );
    expect(memoryAfter.heapUsed - memoryBefore.heapUsed).toBeLessThan(256 * MiB);
    // The flooding connection is still open: a frame over its rate is refused, not closed.
    client.send({ type: 'ping', id: 'after-flood', data: {} });
    expect(
      await client.next((frame) => frame.id === 'after-flood', 'an answer after the flood'),
    ).toMatchObject({
      type: 'error',
      data: { code: 'rate_limited' },
    });
    held.push('frame flood');
  });

  it(
    `lists ${CONVERSATIONS} conversations of one user in complete, bounded pages, the newly active first`,
    { timeout: 240_000 },
    async () => {
      // Created through the same command handler REST uses, without a round trip and a
      // read-your-writes wait each: the listing, not the creation rate, is under test.
      const commands = conversationCommandsOf(server.parley.infrastructure);
      const created: string[] = [];
      let head = 0n;
      const batch = 200;
      for (let start = 0; start < CONVERSATIONS; start += batch) {
        const written = await Promise.all(
          Array.from({ length: Math.min(batch, CONVERSATIONS - start) }, () =>
            commands.createConversation({ kind: 'group', memberIds: [] }, { actorId: alice.id }),
          ),
        );
        for (const { conversationId, position } of written) {
          created.push(conversationId);
          if (position > head) head = position;
        }
      }
      expect(await server.parley.infrastructure.projections.waitForPosition(head, 120_000)).toBe(true);
      // The oldest one gets a message: it moves to the top (the order itself is the read model's own test).
      const oldest = created[0]!;
      const sent = await alice.api.post(`/v1/conversations/${oldest}/messages`, {
        clientMsgId: randomUUID(),
        body: 'up',
      });
      expect(sent.status).toBe(201);

      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await alice.api.get(`/v1/conversations?limit=100${query}`);
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(100);
        for (const item of page.body.items as { id: string }[]) listed.push(item.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(listed[0]).toBe(oldest);
      expect(listed).toHaveLength(created.length);
      expect(new Set(listed)).toEqual(new Set(created));
      expect((await alice.api.get('/v1/conversations?limit=101')).status).toBe(400);

      // A new connection loads all those memberships, and hears the conversation at the far end of the list.
      await Promise.all(clients.map((client) => client.close()));
      const client = await WsClient.ready(server.baseUrl, alice.token);
      clients.push(client);
      const newest = created.at(-1)!;
      await alice.api.post(`/v1/conversations/${newest}/messages`, {
        clientMsgId: randomUUID(),
        body: 'heard',
      });
      await client.next(
        (frame) => frame.type === 'message.create' && frame.data.conversationId === newest,
        'the live frame of the newest conversation',
      );
      held.push(`${CONVERSATIONS} conversations`);
    },
  );

  it('fills a group to the configured member limit and refuses one more with bad_request', async () => {
    const [carol, dave] = others as [RegisteredUser, RegisteredUser];
    const tooMany = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id, carol.id, dave.id],
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 'bad_request', details: { field: 'memberIds' } });

    const full = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id, carol.id] });
    expect(full.status).toBe(201);
    expect(full.body.members).toHaveLength(GROUP_MAX_MEMBERS);

    const oneMore = await alice.api.post(`/v1/conversations/${full.body.id}/members`, { userIds: [dave.id] });
    expect(oneMore.status).toBe(400);
    expect(oneMore.body.error).toMatchObject({ code: 'bad_request', details: { field: 'userIds' } });
    const after = await alice.api.get(`/v1/conversations/${full.body.id}`);
    expect(after.body.members).toHaveLength(GROUP_MAX_MEMBERS);
    expect(after.body.lastRev).toBe(full.body.lastRev);

    // Leaving makes room again.
    expect((await carol.api.delete(`/v1/conversations/${full.body.id}/members/${carol.id}`)).status).toBe(
      204,
    );
    const added = await alice.api.post(`/v1/conversations/${full.body.id}/members`, { userIds: [dave.id] });
    expect(added.status).toBe(200);
    expect(added.body.members).toHaveLength(GROUP_MAX_MEMBERS);
    held.push('group at its member limit');
  });
});
