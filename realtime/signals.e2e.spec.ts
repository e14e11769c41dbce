import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { WsClient, type Frame } from '../test/support/ws-client.js';

const presenceOf = (userId: string, status: string) => (frame: Frame) =>
  frame.type === 'presence.update' && frame.data.userId === userId && frame.data.status === status;
const typingOf = (userId: string, typing: boolean) => (frame: Frame) =>
  frame.type === 'typing.update' && frame.data.userId === userId && frame.data.typing === typing;

describe('ephemeral signals on one embedded node', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let stranger: RegisteredUser;
  let conversationId: string;
  const clients: WsClient[] = [];
  const owners = new Map<WsClient, string>();
  const connect = async (user: RegisteredUser) => {
    const client = await WsClient.ready(server.baseUrl, user.token);
    clients.push(client);
    owners.set(client, user.id);
    return client;
  };
  const disconnectAll = (user: RegisteredUser) =>
    Promise.all(clients.filter((client) => owners.get(client) === user.id).map((client) => client.close()));

  beforeAll(async () => {
    server = await startTestServer('embedded', {
      WS_PRESENCE_MAX_USERS: '3',
      PRESENCE_OFFLINE_GRACE_MS: '500',
    });
    const api = new ApiClient(server.baseUrl);
    [alice, bob, stranger] = (await Promise.all(
      ['alice', 'bob', 'stranger'].map((name) => registerUser(api, name)),
    )) as [RegisteredUser, RegisteredUser, RegisteredUser];
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    conversationId = created.body.id as string;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  describe('presence', () => {
    it('answers ack, then the current status, then offline with lastSeenAt within 5 s of the last close', async () => {
      const watcher = await connect(alice);
      const bobs = [await connect(bob), await connect(bob)];
      const id = 'watch-bob';
      watcher.send({ type: 'presence.subscribe', id, data: { userIds: [bob.id] } });
      const ack = await watcher.next((frame) => frame.id === id, 'the ack');
      expect(ack).toMatchObject({ type: 'ack', data: { status: 'ok' } });
      await watcher.next(presenceOf(bob.id, 'online'), 'bob online');
      // The ack comes first, then the update.
      expect(watcher.frames.indexOf(ack)).toBeLessThan(
        watcher.frames.findIndex(presenceOf(bob.id, 'online')),
      );

      await bobs[0]!.close();
      // One of two connections closed: still online. The second close is the last.
      await watcher.ping();
      const closedAt = Date.now();
      await bobs[1]!.close();
      const offline = await watcher.next(presenceOf(bob.id, 'offline'), 'bob offline', 5_000);
      const lastSeenAt = Date.parse(offline.data.lastSeenAt as string);
      expect(lastSeenAt).toBeGreaterThanOrEqual(closedAt - 1_000);
      expect(lastSeenAt).toBeLessThanOrEqual(Date.now());
      expect(watcher.frames.filter(presenceOf(bob.id, 'offline'))).toHaveLength(1);

      const back = await connect(bob);
      await watcher.next(presenceOf(bob.id, 'online'), 'bob online again');
      expect(watcher.frames.filter(presenceOf(bob.id, 'online'))).toHaveLength(2);
      await back.close();
    });

    it('refuses to show a stranger’s presence, and says why', async () => {
      const watcher = await connect(stranger);
      const answer = await watcher.request('presence.subscribe', { userIds: [alice.id] });
      expect(answer).toMatchObject({ type: 'error', data: { code: 'forbidden' } });
      await watcher.ping();
      expect(watcher.frames.some((frame) => frame.type === 'presence.update')).toBe(false);
    });

    it('stops showing a user who no longer shares a conversation', async () => {
      const api = new ApiClient(server.baseUrl);
      const [dave, erin, frank] = (await Promise.all(
        ['dave', 'erin', 'frank'].map((name) => registerUser(api, name)),
      )) as [RegisteredUser, RegisteredUser, RegisteredUser];
      const group = await dave.api.post('/v1/conversations', {
        kind: 'group',
        memberIds: [erin.id, frank.id],
      });
      const groupId = group.body.id as string;
      const watcher = await connect(dave);
      const [erinSocket, frankSocket] = [await connect(erin), await connect(frank)];
      const answer = await watcher.request('presence.subscribe', { userIds: [erin.id, frank.id] });
      expect(answer).toMatchObject({ type: 'ack' });
      await watcher.next(presenceOf(erin.id, 'online'), 'erin online');

      expect((await erin.api.delete(`/v1/conversations/${groupId}/members/${erin.id}`)).status).toBe(204);
      await watcher.next(
        (frame) => frame.type === 'member.leave' && frame.data.userId === erin.id,
        'erin leaves',
      );
      // The read model has the change too: the watch is re-checked against it.
      const seen = await dave.api.get(`/v1/conversations/${groupId}`);
      expect(seen.body.members.map((member: { userId: string }) => member.userId)).not.toContain(erin.id);

      // Erin's offline is published before frank's; only frank's may reach dave.
      await erinSocket.close();
      await watcher.ping();
      await frankSocket.close();
      await watcher.next(presenceOf(frank.id, 'offline'), 'frank offline', 5_000);
      expect(watcher.frames.some(presenceOf(erin.id, 'offline'))).toBe(false);
    });

    it('caps the users one connection watches', async () => {
      const watcher = await connect(alice);
      const userIds = [bob.id, randomUUID(), randomUUID(), randomUUID()];
      const answer = await watcher.request('presence.subscribe', { userIds });
      expect(answer).toMatchObject({ type: 'error', data: { code: 'bad_request' } });
    });
  });

  describe('typing', () => {
    it('reaches the other member, not the typer, and expires after 6 s without renewal', async () => {
      const [typer, reader] = [await connect(alice), await connect(bob)];
      expect(await typer.request('typing.start', { conversationId })).toMatchObject({ type: 'ack' });
      const started = await reader.next(typingOf(alice.id, true), 'alice typing');
      expect(started.data).toEqual({ conversationId, userId: alice.id, typing: true });
      const startedAt = Date.now();
      const stopped = await reader.next(typingOf(alice.id, false), 'alice no longer typing', 10_000);
      expect(stopped.data.conversationId).toBe(conversationId);
      // Expiry, not an early stop: nobody sent typing.stop.
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(5_000);
      await typer.ping();
      expect(typer.frames.some((frame) => frame.type === 'typing.update')).toBe(false);
    });

    it('stops at once on typing.stop', async () => {
      const [typer, reader] = [await connect(bob), await connect(alice)];
      typer.send({ type: 'typing.start', data: { conversationId } });
      await reader.next(typingOf(bob.id, true), 'bob typing');
      typer.send({ type: 'typing.stop', data: { conversationId } });
      await reader.next(typingOf(bob.id, false), 'bob stopped typing', 2_000);
    });

    it('rate limits a flood of typing frames and does not re-broadcast renewals', async () => {
      const [typer, reader] = [await connect(bob), await connect(alice)];
      for (let index = 0; index < 60; index += 1)
        typer.send({ type: 'typing.start', id: `flood-${index}`, data: { conversationId } });
      const answers = await typer.collect((frame) => String(frame.id).startsWith('flood-'), 60, 'answers');
      expect(answers.some((frame) => frame.type === 'error' && frame.data.code === 'rate_limited')).toBe(
        true,
      );
      await reader.next(typingOf(bob.id, true), 'bob typing');
      await reader.ping();
      expect(reader.frames.filter(typingOf(bob.id, true))).toHaveLength(1);
      typer.send({ type: 'typing.stop', data: { conversationId } });
      await reader.next(typingOf(bob.id, false), 'bob stopped');
    });

    it('stops at once when the typer’s last connection closes', async () => {
      const reader = await connect(alice);
      await disconnectAll(bob);
      const last = await connect(bob);
      last.send({ type: 'typing.start', data: { conversationId } });
      await reader.next(typingOf(bob.id, true), 'bob typing');
      await last.close();
      await reader.next(typingOf(bob.id, false), 'bob gone, no longer typing', 2_000);
    });

    it('answers a non-member with an error and broadcasts nothing', async () => {
      const [intruder, reader, member] = [await connect(stranger), await connect(bob), await connect(alice)];
      const answer = await intruder.request('typing.start', { conversationId });
      expect(answer).toMatchObject({ type: 'error', data: { code: 'not_found' } });
      // A member's signal after it: once it arrives, the intruder's would have too.
      member.send({ type: 'typing.stop', data: { conversationId } });
      member.send({ type: 'typing.start', data: { conversationId } });
      await reader.next(typingOf(alice.id, true), 'alice typing');
      expect(reader.frames.some((frame) => frame.data?.userId === stranger.id)).toBe(false);
    });
  });

  describe('delivery receipts', () => {
    it('tells the sender up to which seq the recipient’s device received', async () => {
      const [sender, recipient] = [await connect(alice), await connect(bob)];
      let lastSeq = 0;
      for (let index = 0; index < 5; index += 1) {
        const ack = await sender.request('message.send', {
          conversationId,
          clientMsgId: randomUUID(),
          body: `m${index}`,
        });
        lastSeq = ack.data.seq as number;
      }
      await recipient.next((frame) => frame.data?.message?.seq === lastSeq, 'the last message');
      const receipt = await sender.next(
        (frame) => frame.type === 'message.delivery' && frame.data.seq === lastSeq,
        'the receipt of the last message',
      );
      expect(receipt.data).toEqual({ conversationId, userId: bob.id, seq: lastSeq });
      const seqs = sender.frames
        .filter((frame) => frame.type === 'message.delivery')
        .map((frame) => frame.data.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      // The recipient is not told of its own deliveries.
      await recipient.ping();
      expect(recipient.frames.some((frame) => frame.type === 'message.delivery')).toBe(false);
    });

    it('sends a receipt for messages a recipient gets by sync after being away', async () => {
      await disconnectAll(bob);
      const sender = await connect(alice);
      const ack = await sender.request('message.send', {
        conversationId,
        clientMsgId: randomUUID(),
        body: 'while bob was away',
      });
      const seq = ack.data.seq as number;
      const away = await connect(bob);
      away.send({ type: 'sync', data: { cursors: { [conversationId]: -1 } } });
      await away.next((frame) => frame.type === 'sync.done', 'sync.done');
      await sender.next(
        (frame) =>
          frame.type === 'message.delivery' && frame.data.userId === bob.id && frame.data.seq === seq,
        'the receipt of the replayed message',
      );
    });
  });
});
