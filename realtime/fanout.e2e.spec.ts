import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { createGroup as createGroupAs, sendMessage } from '../test/support/chat.js';
import { startTestServer, type TestMode, type TestServer } from '../test/support/server.js';
import { WsClient, type Frame } from '../test/support/ws-client.js';

const revsOf = (frames: Frame[]) => frames.map((frame) => frame.data.rev as number);
const contiguous = (revs: number[]) =>
  revs.every((rev, index) => index === 0 || rev === revs[index - 1]! + 1);

describe.each<TestMode>(['postgres', 'embedded'])('live fan-out from the log (%s)', (mode) => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let mallory: RegisteredUser;
  const clients: WsClient[] = [];
  const connect = async (user: RegisteredUser) => {
    const client = await WsClient.ready(server.baseUrl, user.token);
    clients.push(client);
    return client;
  };
  const createGroup = (memberIds: string[]) => createGroupAs(alice, memberIds);
  const send = sendMessage;
  const created = (conversationId: string) => (frame: Frame) =>
    frame.type === 'message.create' && frame.data.conversationId === conversationId;

  beforeAll(async () => {
    server = await startTestServer(mode);
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob, carol, mallory] = await Promise.all([
      registerUser(anonymous, 'alice'),
      registerUser(anonymous, 'bob'),
      registerUser(anonymous, 'carol'),
      registerUser(anonymous, 'mallory'),
    ]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  it('delivers each message to a member on another connection once, with contiguous revs', async () => {
    const conversationId = await createGroup([bob.id]);
    const [aliceSocket, bobSocket, bobPhone] = [await connect(alice), await connect(bob), await connect(bob)];
    for (let index = 0; index < 20; index += 1) await send(aliceSocket, conversationId, `m${index}`);

    for (const socket of [bobSocket, bobPhone, aliceSocket]) {
      const frames = await socket.collect(created(conversationId), 20, 'message.create');
      await socket.ping();
      expect(socket.frames.filter(created(conversationId))).toHaveLength(20);
      expect(frames.map((frame) => frame.data.message.body)).toEqual(
        Array.from({ length: 20 }, (_, index) => `m${index}`),
      );
      expect(contiguous(revsOf(frames))).toBe(true);
      expect(frames[0]!.data.message).toMatchObject({ senderId: alice.id, conversationId, deleted: false });
    }
  });

  it('never sends a frame to a non-member', async () => {
    const conversationId = await createGroup([bob.id]);
    const [eve, bobSocket] = [await connect(mallory), await connect(bob)];
    await send(await connect(alice), conversationId, 'secret');
    await bobSocket.next(created(conversationId), 'the message at bob');
    await bobSocket.request('message.read', { conversationId, seq: 1 });
    await bobSocket.next((frame) => frame.type === 'message.read', 'bob’s own read receipt');
    // Everything fanned out before bob got it was queued for mallory too, if at all.
    await eve.ping();
    expect(eve.frames.filter((frame) => frame.type !== 'pong')).toEqual([]);
  });

  it('starts delivering to a member added while connected, beginning with the join', async () => {
    const conversationId = await createGroup([bob.id]);
    const carolSocket = await connect(carol);
    const aliceSocket = await connect(alice);
    await send(aliceSocket, conversationId, 'before carol');
    const added = await alice.api.post(`/v1/conversations/${conversationId}/members`, {
      userIds: [carol.id],
    });
    expect(added.status).toBe(200);
    await send(aliceSocket, conversationId, 'welcome carol');

    const message = await carolSocket.next(created(conversationId), 'a message after the join');
    expect(message.data.message.body).toBe('welcome carol');
    const frames = carolSocket.streamFrames(conversationId);
    expect(frames.map((frame) => frame.type)).toEqual(['member.join', 'message.create']);
    expect(frames[0]!.data).toMatchObject({ userId: carol.id, role: 'member' });
    expect(contiguous(revsOf(frames))).toBe(true);
  });

  it('stops delivering to a member once removed, after telling them', async () => {
    const conversationId = await createGroup([bob.id, carol.id]);
    const [carolSocket, bobSocket, aliceSocket] = [
      await connect(carol),
      await connect(bob),
      await connect(alice),
    ];
    await send(aliceSocket, conversationId, 'all of us');
    await carolSocket.next(created(conversationId), 'the first message at carol');
    const removed = await alice.api.delete(`/v1/conversations/${conversationId}/members/${carol.id}`);
    expect(removed.status).toBe(204);
    await send(aliceSocket, conversationId, 'without carol');

    await bobSocket.collect(created(conversationId), 2, 'both messages at bob');
    await carolSocket.ping();
    expect(carolSocket.streamFrames(conversationId).map((frame) => frame.type)).toEqual([
      'message.create',
      'member.leave',
    ]);
  });

  it('tells the members when a read marker moves, without a rev', async () => {
    const conversationId = await createGroup([bob.id]);
    const [aliceSocket, bobSocket] = [await connect(alice), await connect(bob)];
    const sent = await send(aliceSocket, conversationId, 'read me');
    await bobSocket.request('message.read', { conversationId, seq: sent.data.seq });
    const receipt = await aliceSocket.next(
      (frame) => frame.type === 'message.read' && frame.data.userId === bob.id,
      'bob’s receipt at alice',
    );
    expect(receipt.data).toEqual({ conversationId, userId: bob.id, seq: sent.data.seq });
  });

  it('sends conversation.create to connected members, with their own read state', async () => {
    const bobSocket = await connect(bob);
    const conversationId = await createGroup([bob.id]);
    const frame = await bobSocket.next(
      (candidate) =>
        candidate.type === 'conversation.create' && candidate.data.conversationId === conversationId,
      'conversation.create at bob',
    );
    expect(frame.data).toMatchObject({
      rev: 0,
      conversation: { id: conversationId, readSeq: 0, unreadCount: 0 },
    });
  });
});
