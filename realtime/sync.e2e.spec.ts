import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../test/support/server.js';
import { WsClient, type Frame } from '../test/support/ws-client.js';

describe.each<TestMode>(['postgres', 'embedded'])('resuming with sync (%s)', (mode) => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let mallory: RegisteredUser;
  const clients: WsClient[] = [];
  const connect = async (user: RegisteredUser) => {
    const client = await WsClient.ready(server.baseUrl, user.token);
    clients.push(client);
    return client;
  };
  const createGroup = async () => {
    const created = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id] });
    return created.body.id as string;
  };
  const sendMany = (client: WsClient, conversationId: string, count: number, label: string) =>
    Promise.all(
      Array.from({ length: count }, (_, index) =>
        client.request('message.send', {
          conversationId,
          clientMsgId: randomUUID(),
          body: `${label}${index}`,
        }),
      ),
    );
  const isDone = (frame: Frame) => frame.type === 'sync.done';

  beforeAll(async () => {
    // Alice sends in bursts of a hundred: lift the per-connection rate limit.
    server = await startTestServer(mode, { WS_RATE_LIMIT_PER_SECOND: '10000', WS_RATE_LIMIT_BURST: '10000' });
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob, mallory] = await Promise.all([
      registerUser(anonymous, 'alice'),
      registerUser(anonymous, 'bob'),
      registerUser(anonymous, 'mallory'),
    ]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  it('replays exactly the frames missed while disconnected, in rev order, then sync.done', async () => {
    const conversationId = await createGroup();
    const aliceSocket = await connect(alice);
    const first = await connect(bob);
    await sendMany(aliceSocket, conversationId, 3, 'early');
    const seen = await first.collect((frame) => frame.type === 'message.create', 3, 'the early messages');
    const lastRev = seen.at(-1)!.data.rev as number;
    await first.close();

    const sent = await sendMany(aliceSocket, conversationId, 100, 'missed');
    expect(sent.every((answer) => answer.type === 'ack')).toBe(true);
    // Past the fan-out once Alice has them: none reaches Bob's new socket live before his sync.
    await aliceSocket.collect((frame) => frame.type === 'message.create', 103, 'every message');

    const second = await connect(bob);
    second.send({ type: 'sync', id: 's1', data: { cursors: { [conversationId]: lastRev } } });
    const done = await second.next(isDone, 'sync.done');
    const replayed = second.frames
      .slice(0, second.frames.indexOf(done))
      .filter((frame) => frame.type !== 'pong');
    expect(replayed.map((frame) => frame.data.rev)).toEqual(
      Array.from({ length: 100 }, (_, index) => lastRev + 1 + index),
    );
    expect(replayed.every((frame) => frame.type === 'message.create')).toBe(true);
    expect(new Set(replayed.map((frame) => frame.data.message.body)).size).toBe(100);
    expect(done).toMatchObject({ data: { cursors: { [conversationId]: lastRev + 100 } } });
  });

  it('has no gap and no duplicate when messages arrive during the replay', async () => {
    const conversationId = await createGroup();
    const aliceSocket = await connect(alice);
    await sendMany(aliceSocket, conversationId, 150, 'before');
    // Past the fan-out once Alice has them: none reaches Bob live before his sync.
    await aliceSocket.collect((frame) => frame.type === 'message.create', 150, 'the earlier messages');

    const bobSocket = await connect(bob);
    bobSocket.send({ type: 'sync', data: { cursors: { [conversationId]: -1 } } });
    const during = sendMany(aliceSocket, conversationId, 50, 'during');
    await bobSocket.next(isDone, 'sync.done');
    await during;
    const total = 1 + 150 + 50; // the creation, then every message
    await bobSocket.collect(
      (frame) => frame.data?.conversationId === conversationId && 'rev' in frame.data,
      total,
      'frames',
    );
    await bobSocket.ping();

    const frames = bobSocket.streamFrames(conversationId);
    expect(frames.map((frame) => frame.data.rev)).toEqual(Array.from({ length: total }, (_, rev) => rev));
    const done = bobSocket.frames.find(isDone)!;
    const cursor = done.data.cursors[conversationId] as number;
    const doneAt = bobSocket.frames.indexOf(done);
    // Replayed frames come before sync.done, live ones after it.
    expect(
      bobSocket.frames
        .slice(0, doneAt)
        .filter((f) => f.data?.rev !== undefined)
        .at(-1)?.data.rev,
    ).toBe(cursor);
  });

  it('replays every frame after the cursor, even those sent live before, and no live frame twice', async () => {
    const conversationId = await createGroup();
    const aliceSocket = await connect(alice);
    const bobSocket = await connect(bob);
    await sendMany(aliceSocket, conversationId, 3, 'live');
    await bobSocket.collect((frame) => frame.type === 'message.create', 3, 'the live messages');

    // As a client that dropped them (after a jump, say): its cursor is what it has.
    bobSocket.send({ type: 'sync', data: { cursors: { [conversationId]: -1 } } });
    const during = sendMany(aliceSocket, conversationId, 20, 'during');
    await bobSocket.next(isDone, 'sync.done');
    await during;
    await bobSocket.collect((frame) => frame.type === 'message.create', 3 + 3 + 20, 'every message');
    await bobSocket.ping();

    const revs = bobSocket.streamFrames(conversationId).map((frame) => frame.data.rev as number);
    expect(revs.slice(0, 3)).toEqual([1, 2, 3]);
    // Then the replay from the creation on, and the live frames past it: each rev once, in order.
    expect(revs.slice(3)).toEqual(Array.from({ length: 24 }, (_, rev) => rev));
  });

  it('ignores the conversations the user is not a member of', async () => {
    const conversationId = await createGroup();
    await (
      await connect(alice)
    ).request('message.send', { conversationId, clientMsgId: randomUUID(), body: 'x' });
    const eve = await connect(mallory);
    eve.send({ type: 'sync', data: { cursors: { [conversationId]: -1 } } });
    const done = await eve.next(isDone, 'sync.done');
    expect(done.data).toEqual({ cursors: {} });
    expect(eve.frames.filter((frame) => !['pong', 'sync.done'].includes(frame.type))).toEqual([]);
  });
});
