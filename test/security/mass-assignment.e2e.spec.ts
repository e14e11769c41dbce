import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient } from '../support/ws-client.js';
import { startSecurityServer } from './support/security-server.js';

/*
 * Mass assignment: bodies carrying fields the server owns (ids, seqs, times,
 * senders, roles, other users' data). Each must be refused (400) or ignored; the
 * test reads back what was stored and checks none of it was applied.
 */

const LONG_AGO = '2000-01-01T00:00:00.000Z';
const FORGED_ID = '00000000-0000-4000-8000-000000000000';

describe('mass assignment', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let mallory: RegisteredUser;
  let conversationId: string;
  const startedAt = Date.now() - 60_000;

  beforeAll(async () => {
    server = await startSecurityServer();
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob, mallory] = await Promise.all([
      registerUser(anonymous, 'alice'),
      registerUser(anonymous, 'bob'),
      registerUser(anonymous, 'mallory'),
    ]);
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'team',
    });
    conversationId = created.body.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  const isRecent = (time: string) => Date.parse(time) >= startedAt;
  /** 400, or a 2xx whose stored result the caller then checks. */
  const refusedOrAccepted = (status: number) => expect([200, 201, 400]).toContain(status);

  const forgedMessageFields = () => ({
    id: FORGED_ID,
    senderId: mallory.id,
    seq: 999,
    createdAt: LONG_AGO,
    editedAt: LONG_AGO,
    deleted: true,
    reactions: { '👍': [mallory.id] },
    conversationId: randomUUID(),
  });
  const storedMessage = async (clientMsgId: string) => {
    const page = await alice.api.get(`/v1/conversations/${conversationId}/messages?limit=200`);
    return (page.body.items as { clientMsgId: string }[]).find(
      (message) => message.clientMsgId === clientMsgId,
    ) as Record<string, unknown> | undefined;
  };
  const expectMessageNotForged = (message: Record<string, unknown> | undefined, senderId: string) => {
    expect(message).toBeDefined();
    expect(message).toMatchObject({
      senderId,
      conversationId,
      deleted: false,
      editedAt: null,
      reactions: {},
    });
    expect(message!.id).not.toBe(FORGED_ID);
    expect(message!.seq).not.toBe(999);
    expect(isRecent(message!.createdAt as string)).toBe(true);
  };

  it('ignores server-owned fields in a REST send', async () => {
    const clientMsgId = randomUUID();
    const response = await bob.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId,
      body: 'hello',
      ...forgedMessageFields(),
    });
    refusedOrAccepted(response.status);
    if (response.status === 400) return expect(await storedMessage(clientMsgId)).toBeUndefined();
    expectMessageNotForged(await storedMessage(clientMsgId), bob.id);
  });

  it('ignores server-owned fields in a WebSocket send', async () => {
    const socket = await WsClient.ready(server.baseUrl, bob.token);
    const clientMsgId = randomUUID();
    const answer = await socket.request('message.send', {
      ...forgedMessageFields(),
      conversationId,
      clientMsgId,
      body: 'over the socket',
    });
    await socket.close();
    expect(['ack', 'error']).toContain(answer.type);
    if (answer.type === 'error') return expect(answer.data.code).toBe('bad_request');
    // A WebSocket ack does not wait for the read model: wait for the message to be readable.
    await waitFor(
      'the sent message in the read model',
      async () => (await storedMessage(clientMsgId)) !== undefined,
    );
    expectMessageNotForged(await storedMessage(clientMsgId), bob.id);
  });

  it('ignores sender and seq in an edit, and an edit of someone else’s message stays forbidden', async () => {
    const clientMsgId = randomUUID();
    const sent = await bob.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId,
      body: 'v1',
    });
    const edited = await bob.api.patch(`/v1/conversations/${conversationId}/messages/${sent.body.id}`, {
      body: 'v2',
      senderId: alice.id,
      seq: 1,
      createdAt: LONG_AGO,
    });
    refusedOrAccepted(edited.status);
    const stored = await storedMessage(clientMsgId);
    expect(stored).toMatchObject({ senderId: bob.id, seq: sent.body.seq, createdAt: sent.body.createdAt });
    // Claiming to be the author in the body does not make alice one.
    const hijack = await alice.api.patch(`/v1/conversations/${conversationId}/messages/${sent.body.id}`, {
      body: 'taken over',
      senderId: bob.id,
    });
    expect(hijack.status).toBe(403);
  });

  it('ignores ids, owners, roles and counters in a new conversation', async () => {
    const response = await bob.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [alice.id],
      title: 'mine',
      id: FORGED_ID,
      ownerId: mallory.id,
      members: [{ userId: mallory.id, role: 'owner', joinedAt: LONG_AGO }],
      createdAt: LONG_AGO,
      lastSeq: 50,
      lastRev: 50,
      unreadCount: 7,
    });
    refusedOrAccepted(response.status);
    if (response.status === 400) return;
    const stored = (await bob.api.get(`/v1/conversations/${response.body.id}`)).body;
    expect(stored.id).not.toBe(FORGED_ID);
    expect(isRecent(stored.createdAt)).toBe(true);
    expect(stored.lastSeq).toBe(0);
    expect(stored.unreadCount).toBe(0);
    const roles = Object.fromEntries(
      (stored.members as { userId: string; role: string }[]).map((member) => [member.userId, member.role]),
    );
    expect(roles).toEqual({ [bob.id]: 'owner', [alice.id]: 'member' });
    expect((await mallory.api.get(`/v1/conversations/${response.body.id}`)).status).toBe(404);
  });

  it('adds members as plain members whatever role the body names, and a rename keeps the kind', async () => {
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [],
      title: 'roles',
    });
    const id = created.body.id as string;
    const added = await alice.api.post(`/v1/conversations/${id}/members`, {
      userIds: [bob.id],
      role: 'owner',
      members: [{ userId: bob.id, role: 'owner' }],
    });
    refusedOrAccepted(added.status);
    const renamed = await alice.api.patch(`/v1/conversations/${id}`, {
      title: 'renamed',
      kind: 'direct',
      members: [],
    });
    refusedOrAccepted(renamed.status);
    const stored = (await alice.api.get(`/v1/conversations/${id}`)).body;
    expect(stored.kind).toBe('group');
    const bobAsMember = (stored.members as { userId: string; role: string }[]).find(
      (member) => member.userId === bob.id,
    );
    if (added.status === 200) expect(bobAsMember?.role).toBe('member');
    // Bob, a plain member, still may not rename it.
    expect((await bob.api.patch(`/v1/conversations/${id}`, { title: 'bob was here' })).status).toBe(
      bobAsMember ? 403 : 404,
    );
  });

  it("moves only the caller's read marker, whatever userId the body names", async () => {
    await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: 'ping',
    });
    const before = (await alice.api.get(`/v1/conversations/${conversationId}`)).body;
    const bobBefore = (before.readMarkers as { userId: string; seq: number }[]).find(
      (m) => m.userId === bob.id,
    )?.seq;
    const marked = await alice.api.post(`/v1/conversations/${conversationId}/read`, {
      seq: before.lastSeq,
      userId: bob.id,
    });
    refusedOrAccepted(marked.status);
    const after = (await alice.api.get(`/v1/conversations/${conversationId}`)).body;
    expect(
      (after.readMarkers as { userId: string; seq: number }[]).find((m) => m.userId === bob.id)?.seq,
    ).toBe(bobBefore);
  });

  it('changes only the display name of the caller on PATCH /v1/me', async () => {
    const before = (await mallory.api.get('/v1/me')).body;
    const response = await mallory.api.patch('/v1/me', {
      displayName: 'Mallory M.',
      id: alice.id,
      username: alice.username,
      email: 'stolen@example.test',
      createdAt: LONG_AGO,
    });
    refusedOrAccepted(response.status);
    const after = (await mallory.api.get('/v1/me')).body;
    expect(after).toMatchObject({
      id: before.id,
      username: before.username,
      email: before.email,
      createdAt: before.createdAt,
    });
    const aliceNow = (await alice.api.get('/v1/me')).body;
    expect(aliceNow.email).not.toBe('stolen@example.test');
    expect(aliceNow.displayName).not.toBe('Mallory M.');
  });

  it('ignores an id, a role and a creation time at registration', async () => {
    const name = `mass_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const response = await new ApiClient(server.baseUrl).post('/v1/auth/register', {
      email: `${name}@example.test`,
      username: name,
      password: 'correct horse battery staple',
      displayName: name,
      id: alice.id,
      role: 'admin',
      admin: true,
      createdAt: LONG_AGO,
    });
    refusedOrAccepted(response.status);
    if (response.status === 400) return;
    expect(response.body.user.id).not.toBe(alice.id);
    expect(isRecent(response.body.user.createdAt)).toBe(true);
    expect(response.body.user).not.toHaveProperty('role');
    expect((await alice.api.get('/v1/me')).body.username).toBe(alice.username);
  });

  it("does not let an attachment grant name another user's key", async () => {
    const response = await mallory.api.post('/v1/attachments', {
      filename: 'a.txt',
      contentType: 'text/plain',
      size: 3,
      key: `${alice.id}/${FORGED_ID}`,
      uploaderId: alice.id,
    });
    refusedOrAccepted(response.status);
    if (response.status === 201) expect(response.body.key).not.toContain(alice.id);
  });
});
