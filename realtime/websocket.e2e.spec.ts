import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../test/support/server.js';
import { waitFor } from '../test/support/wait-for.js';
import { WsClient } from '../test/support/ws-client.js';

describe.each<TestMode>(['postgres', 'embedded'])('the WebSocket endpoint (%s)', (mode) => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let mallory: RegisteredUser;
  let conversationId: string;
  const clients: WsClient[] = [];
  const connect = async (user: RegisteredUser) => {
    const client = await WsClient.ready(server.baseUrl, user.token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer(mode, { WS_ALLOWED_ORIGINS: 'https://app.example' });
    const anonymous = new ApiClient(server.baseUrl);
    alice = await registerUser(anonymous, 'alice');
    bob = await registerUser(anonymous, 'bob');
    mallory = await registerUser(anonymous, 'mallory');
    const created = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id] });
    conversationId = created.body.id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  describe('connecting', () => {
    it('closes with 4401 when the token is bad', async () => {
      const client = await WsClient.connect(server.baseUrl, { token: 'not.a.token' });
      expect((await client.closed).code).toBe(4401);
    });

    it('closes with 4401 when there is no token', async () => {
      const client = await WsClient.connect(server.baseUrl);
      expect((await client.closed).code).toBe(4401);
    });

    it('accepts the token as ?access_token=', async () => {
      const client = await WsClient.connect(server.baseUrl, { token: alice.token, tokenInQuery: true });
      clients.push(client);
      await client.ping();
    });

    it('refuses a foreign Origin before the upgrade, and accepts an allowed one', async () => {
      await expect(
        WsClient.connect(server.baseUrl, { token: alice.token, origin: 'https://evil.example' }),
      ).rejects.toThrow('HTTP 403');
      const allowed = await WsClient.connect(server.baseUrl, {
        token: alice.token,
        origin: 'https://app.example',
      });
      clients.push(allowed);
      await allowed.ping();
    });
  });

  describe('bad input', () => {
    it('closes with 1009 on a frame over 64 KiB', async () => {
      const client = await connect(alice);
      client.sendRaw(JSON.stringify({ type: 'ping', data: { pad: 'x'.repeat(70 * 1024) } }));
      expect((await client.closed).code).toBe(1009);
    });

    it('answers malformed JSON, unknown types and bad data with bad_request, and keeps going', async () => {
      const client = await connect(alice);
      client.sendRaw('{not json');
      const malformed = await client.next((frame) => frame.type === 'error', 'an error frame');
      expect(malformed.data.code).toBe('bad_request');

      const unknown = await client.request('message.fly', {});
      expect(unknown).toMatchObject({ type: 'error', data: { code: 'bad_request' } });
      expect(unknown.data.message).toContain('message.fly');

      const bad = await client.request('message.send', { conversationId, clientMsgId: 'nope', body: 'x' });
      expect(bad).toMatchObject({ type: 'error', data: { code: 'bad_request' } });
      expect(bad.data.message).toContain('clientMsgId');

      client.sendRaw(Buffer.from([1, 2, 3]));
      await client.ping();
      expect(client.frames.filter((frame) => frame.type === 'error')).toHaveLength(4);
    });
  });

  describe('commands', () => {
    it('acks a send once, and a retry with the same clientMsgId as a duplicate', async () => {
      const client = await connect(alice);
      const clientMsgId = randomUUID();
      const sent = await client.request('message.send', { conversationId, clientMsgId, body: 'hello' });
      expect(sent).toMatchObject({ type: 'ack', data: { status: 'ok', duplicate: false } });
      const again = await client.request('message.send', { conversationId, clientMsgId, body: 'hello' });
      expect(again.data).toEqual({ ...sent.data, duplicate: true });

      await client.ping();
      const answers = client.frames.filter((frame) => frame.id === sent.id);
      expect(answers).toHaveLength(1);
      // The ack does not wait for the read models (the live frame is the sender's confirmation).
      let copies = 0;
      await waitFor('the message in the read model', async () => {
        const messages = await alice.api.get(`/v1/conversations/${conversationId}/messages`);
        copies = messages.body.items.filter((m: any) => m.clientMsgId === clientMsgId).length;
        return copies > 0;
      });
      expect(copies).toBe(1);
    });

    it('edits, deletes and marks read through the same rules as REST', async () => {
      const client = await connect(alice);
      const sent = await client.request('message.send', {
        conversationId,
        clientMsgId: randomUUID(),
        body: 'draft',
      });
      const { messageId, seq } = sent.data;
      const edited = await client.request('message.edit', { conversationId, messageId, body: 'final' });
      expect(edited).toMatchObject({ type: 'ack', data: { status: 'ok' } });

      const bobClient = await connect(bob);
      const notAuthor = await bobClient.request('message.edit', { conversationId, messageId, body: 'mine' });
      expect(notAuthor).toMatchObject({ type: 'error', data: { code: 'forbidden' } });
      const read = await bobClient.request('message.read', { conversationId, seq });
      expect(read).toMatchObject({ type: 'ack', data: { status: 'ok', readSeq: seq, unreadCount: 0 } });

      const deleted = await client.request('message.delete', { conversationId, messageId });
      expect(deleted).toMatchObject({ type: 'ack', data: { status: 'ok' } });
    });

    it('answers not_found to a non-member, as REST does', async () => {
      const client = await connect(mallory);
      const sent = await client.request('message.send', {
        conversationId,
        clientMsgId: randomUUID(),
        body: 'hi',
      });
      expect(sent).toMatchObject({ type: 'error', data: { code: 'not_found' } });
      const read = await client.request('message.read', { conversationId, seq: 1 });
      expect(read).toMatchObject({ type: 'error', data: { code: 'not_found' } });
    });
  });
});
