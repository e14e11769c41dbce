import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';

describe.each<TestMode>(['postgres', 'embedded'])('conversations and messages over REST (%s)', (mode) => {
  let server: TestServer;
  let anonymous: ApiClient;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let mallory: RegisteredUser;

  beforeAll(async () => {
    server = await startTestServer(mode);
    anonymous = new ApiClient(server.baseUrl);
    alice = await registerUser(anonymous, 'alice');
    bob = await registerUser(anonymous, 'bob');
    carol = await registerUser(anonymous, 'carol');
    mallory = await registerUser(anonymous, 'mallory');
  });
  afterAll(async () => {
    await server?.close();
  });

  const createGroup = async (title = 'team', members = [bob.id, carol.id]) => {
    const response = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: members,
      title,
    });
    expect(response.status).toBe(201);
    return response.body.id as string;
  };
  const send = (
    user: RegisteredUser,
    conversationId: string,
    body: string,
    clientMsgId: string = randomUUID(),
  ) => user.api.post(`/v1/conversations/${conversationId}/messages`, { clientMsgId, body });

  describe('creating conversations', () => {
    it('creates a group with the caller as owner', async () => {
      const response = await alice.api.post('/v1/conversations', {
        kind: 'group',
        memberIds: [bob.id, carol.id],
        title: 'launch',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        kind: 'group',
        title: 'launch',
        lastSeq: 0,
        lastMessage: null,
      });
      expect(response.body.members).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ userId: alice.id, role: 'owner' }),
          expect.objectContaining({ userId: bob.id, role: 'member' }),
        ]),
      );
    });

    it('keeps one direct conversation per pair: asking again, from either side, answers 200 with it', async () => {
      const dave = await registerUser(anonymous, 'dave');
      const first = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [dave.id] });
      expect(first.status).toBe(201);
      const again = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [dave.id] });
      const reverse = await dave.api.post('/v1/conversations', { kind: 'direct', memberIds: [alice.id] });
      expect([again.status, reverse.status]).toEqual([200, 200]);
      expect(again.body.id).toBe(first.body.id);
      expect(reverse.body.id).toBe(first.body.id);
    });

    it('creates one direct conversation when both users ask at the same instant', async () => {
      const [erin, frank] = await Promise.all([
        registerUser(anonymous, 'erin'),
        registerUser(anonymous, 'frank'),
      ]);
      const [one, two] = await Promise.all([
        erin.api.post('/v1/conversations', { kind: 'direct', memberIds: [frank.id] }),
        frank.api.post('/v1/conversations', { kind: 'direct', memberIds: [erin.id] }),
      ]);
      expect([one.status, two.status].sort()).toEqual([200, 201]);
      expect(one.body.id).toBe(two.body.id);
    });

    it('refuses bad input with bad_request naming the field, and writes nothing', async () => {
      const cases: [unknown, string][] = [
        // Two others (the caller's own id would be ignored, so it is not one of them).
        [{ kind: 'direct', memberIds: [bob.id, alice.id] }, 'memberIds'],
        [{ kind: 'direct', memberIds: ['not-a-uuid'] }, 'memberIds'],
        [{ kind: 'channel', memberIds: [bob.id] }, 'kind'],
        [{ kind: 'group', memberIds: [randomUUID()] }, 'memberIds'],
        [{ kind: 'direct', memberIds: [bob.id], title: 'no titles on direct' }, 'title'],
      ];
      for (const [body, field] of cases) {
        const response = await carol.api.post('/v1/conversations', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.error.code).toBe('bad_request');
        expect(JSON.stringify(response.body.error)).toContain(field);
      }
    });
  });

  describe('messages', () => {
    it('sends, and a retry with the same clientMsgId answers 200 with the original', async () => {
      const conversationId = await createGroup();
      const clientMsgId = randomUUID();
      const first = await send(bob, conversationId, 'hello', clientMsgId);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        conversationId,
        seq: 1,
        senderId: bob.id,
        clientMsgId,
        body: 'hello',
        attachments: [],
        replyTo: null,
        reactions: {},
        editedAt: null,
        deleted: false,
      });
      const retry = await send(bob, conversationId, 'hello', clientMsgId);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      const page = await alice.api.get(`/v1/conversations/${conversationId}/messages`);
      expect(page.body.items).toHaveLength(1);
    });

    it('60 concurrent sends give 60 consecutive seqs', async () => {
      const conversationId = await createGroup();
      const responses = await Promise.all(
        Array.from({ length: 60 }, (_, index) =>
          send([alice, bob, carol][index % 3]!, conversationId, `m${index}`),
        ),
      );
      expect(responses.every((response) => response.status === 201)).toBe(true);
      expect(responses.map((response) => response.body.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 60 }, (_, index) => index + 1),
      );
    });

    it('pages history with beforeSeq / afterSeq and says when there is more', async () => {
      const conversationId = await createGroup();
      for (let index = 1; index <= 7; index++) await send(alice, conversationId, `n${index}`);
      const newest = await bob.api.get(`/v1/conversations/${conversationId}/messages?limit=3`);
      expect(newest.body.items.map((message: { seq: number }) => message.seq)).toEqual([5, 6, 7]);
      expect(newest.body.hasMore).toBe(true);
      const before = await bob.api.get(`/v1/conversations/${conversationId}/messages?beforeSeq=5&limit=3`);
      expect(before.body.items.map((message: { seq: number }) => message.seq)).toEqual([2, 3, 4]);
      expect(before.body.hasMore).toBe(true);
      const oldest = await bob.api.get(`/v1/conversations/${conversationId}/messages?beforeSeq=2&limit=3`);
      expect(oldest.body).toMatchObject({ hasMore: false });
      const after = await bob.api.get(`/v1/conversations/${conversationId}/messages?afterSeq=5&limit=10`);
      expect(after.body.items.map((message: { seq: number }) => message.seq)).toEqual([6, 7]);
      expect(after.body.hasMore).toBe(false);
      const tooBig = await bob.api.get(`/v1/conversations/${conversationId}/messages?limit=201`);
      expect(tooBig.status).toBe(400);
    });

    it('lets only the author edit; the author or an owner deletes, leaving a tombstone with its seq', async () => {
      const conversationId = await createGroup();
      const sent = await send(bob, conversationId, 'draft');
      const path = `/v1/conversations/${conversationId}/messages/${sent.body.id}`;
      expect((await carol.api.patch(path, { body: 'hijack' })).status).toBe(403);
      const edited = await bob.api.patch(path, { body: 'final' });
      expect(edited.status).toBe(200);
      expect(edited.body.body).toBe('final');
      expect(edited.body.editedAt).not.toBeNull();
      expect((await carol.api.delete(path)).status).toBe(403);
      expect((await alice.api.delete(path)).status).toBe(204);
      const page = await bob.api.get(`/v1/conversations/${conversationId}/messages`);
      expect(page.body.items).toEqual([
        expect.objectContaining({ id: sent.body.id, seq: 1, body: null, attachments: [], deleted: true }),
      ]);
    });

    it('adds and removes reactions', async () => {
      const conversationId = await createGroup();
      const sent = await send(bob, conversationId, 'react to me');
      const base = `/v1/conversations/${conversationId}/messages/${sent.body.id}/reactions`;
      expect((await alice.api.put(`${base}/${encodeURIComponent('👍')}`)).status).toBe(204);
      expect((await carol.api.put(`${base}/${encodeURIComponent('👍')}`)).status).toBe(204);
      expect((await carol.api.put(`${base}/${encodeURIComponent('🎉')}`)).status).toBe(204);
      expect((await carol.api.delete(`${base}/${encodeURIComponent('🎉')}`)).status).toBe(204);
      const page = await bob.api.get(`/v1/conversations/${conversationId}/messages`);
      expect(page.body.items[0].reactions).toEqual({ '👍': expect.arrayContaining([alice.id, carol.id]) });
    });

    it('refuses empty, whitespace-only and oversized bodies, bad ids and unknown replies', async () => {
      const conversationId = await createGroup();
      for (const body of [
        { clientMsgId: randomUUID(), body: '' },
        { clientMsgId: randomUUID(), body: '   ' },
        { clientMsgId: randomUUID(), body: 'x'.repeat(10_001) },
        { clientMsgId: 'nope', body: 'hi' },
        { clientMsgId: randomUUID(), body: 'hi', replyTo: randomUUID() },
        { clientMsgId: randomUUID() },
      ]) {
        const response = await alice.api.post(`/v1/conversations/${conversationId}/messages`, body);
        expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(response.body.error.code).toBe('bad_request');
      }
      const page = await alice.api.get(`/v1/conversations/${conversationId}/messages`);
      expect(page.body.items).toEqual([]);
    });

    it('answers malformed JSON with bad_request and an oversized request with payload_too_large', async () => {
      const conversationId = await createGroup();
      const malformed = await alice.api.request(
        'POST',
        `/v1/conversations/${conversationId}/messages`,
        '{"body": ',
      );
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('bad_request');
      const huge = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
        clientMsgId: randomUUID(),
        body: 'x'.repeat(300 * 1024),
      });
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('payload_too_large');
    });
  });

  describe('read markers and unread counts', () => {
    it('counts unread, moves markers only forward, and never counts one’s own messages', async () => {
      const conversationId = await createGroup();
      for (const body of ['a', 'b', 'c']) await send(alice, conversationId, body);
      const bobsView = await bob.api.get(`/v1/conversations/${conversationId}`);
      expect(bobsView.body).toMatchObject({ lastSeq: 3, readSeq: 0, unreadCount: 3 });
      expect((await alice.api.get(`/v1/conversations/${conversationId}`)).body).toMatchObject({
        unreadCount: 0,
      });

      const read = await bob.api.post(`/v1/conversations/${conversationId}/read`, { seq: 2 });
      expect(read.body).toEqual({ readSeq: 2, unreadCount: 1 });
      const backwards = await bob.api.post(`/v1/conversations/${conversationId}/read`, { seq: 1 });
      expect(backwards.body).toEqual({ readSeq: 2, unreadCount: 1 });
      const beyond = await bob.api.post(`/v1/conversations/${conversationId}/read`, { seq: 1000 });
      expect(beyond.body).toEqual({ readSeq: 3, unreadCount: 0 });
      expect((await bob.api.post(`/v1/conversations/${conversationId}/read`, { seq: -1 })).status).toBe(400);

      await send(bob, conversationId, 'mine');
      expect((await bob.api.get(`/v1/conversations/${conversationId}`)).body).toMatchObject({
        lastSeq: 4,
        readSeq: 4,
        unreadCount: 0,
      });
      const detail = await carol.api.get(`/v1/conversations/${conversationId}`);
      expect(detail.body.readMarkers).toEqual(expect.arrayContaining([{ userId: bob.id, seq: 4 }]));
    });
  });

  describe('membership', () => {
    it('lets owners rename, add and remove; members may leave; a removed member loses access', async () => {
      const conversationId = await createGroup('old name', [bob.id]);
      expect((await bob.api.patch(`/v1/conversations/${conversationId}`, { title: 'nope' })).status).toBe(
        403,
      );
      const renamed = await alice.api.patch(`/v1/conversations/${conversationId}`, { title: 'new name' });
      expect(renamed.body.title).toBe('new name');
      const added = await alice.api.post(`/v1/conversations/${conversationId}/members`, {
        userIds: [carol.id],
      });
      expect(added.body.members.map((member: { userId: string }) => member.userId)).toContain(carol.id);
      expect((await carol.api.get(`/v1/conversations/${conversationId}`)).status).toBe(200);

      expect((await carol.api.delete(`/v1/conversations/${conversationId}/members/${carol.id}`)).status).toBe(
        204,
      );
      expect((await carol.api.get(`/v1/conversations/${conversationId}`)).status).toBe(404);
      expect((await alice.api.delete(`/v1/conversations/${conversationId}/members/${bob.id}`)).status).toBe(
        204,
      );
      expect((await send(bob, conversationId, 'still here?')).status).toBe(404);
      expect((await bob.api.get(`/v1/conversations/${conversationId}/messages`)).status).toBe(404);
    });

    it('lists the caller’s conversations by latest activity, with a cursor', async () => {
      const gina = await registerUser(anonymous, 'gina');
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        const response = await gina.api.post('/v1/conversations', {
          kind: 'group',
          memberIds: [],
          title: `c${index}`,
        });
        ids.push(response.body.id);
      }
      await send(gina, ids[1]!, 'bump');
      const first = await gina.api.get('/v1/conversations?limit=2');
      expect(first.body.items.map((item: { id: string }) => item.id)).toEqual([ids[1], ids[4]]);
      expect(first.body.items[0].lastMessage.body).toBe('bump');
      const second = await gina.api.get(`/v1/conversations?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items.map((item: { id: string }) => item.id)).toEqual([ids[3], ids[2]]);
      const third = await gina.api.get(`/v1/conversations?limit=2&cursor=${second.body.nextCursor}`);
      expect(third.body.items.map((item: { id: string }) => item.id)).toEqual([ids[0]]);
      expect(third.body.nextCursor).toBeNull();
      expect((await gina.api.get('/v1/conversations?cursor=garbage')).status).toBe(400);
    });
  });

  describe('the events endpoint', () => {
    it('serves the stream as frames with contiguous revs', async () => {
      const conversationId = await createGroup();
      await send(alice, conversationId, 'one');
      await send(bob, conversationId, 'two');
      const all = await carol.api.get(`/v1/conversations/${conversationId}/events`);
      expect(all.status).toBe(200);
      expect(all.body.items.map((frame: { type: string }) => frame.type)).toEqual([
        'conversation.create',
        'message.create',
        'message.create',
      ]);
      expect(all.body.items.map((frame: { data: { rev: number } }) => frame.data.rev)).toEqual([0, 1, 2]);
      expect(all.body.lastRev).toBe(2);
      const after = await carol.api.get(`/v1/conversations/${conversationId}/events?afterRev=1`);
      expect(after.body.items).toHaveLength(1);
      expect(after.body.items[0].data.message.body).toBe('two');
      const none = await carol.api.get(`/v1/conversations/${conversationId}/events?afterRev=2`);
      expect(none.body).toEqual({ items: [], lastRev: 2 });
    });
  });

  describe('authorization on every conversation route', () => {
    it('answers a non-member 404 and an anonymous caller 401, and changes nothing', async () => {
      const conversationId = await createGroup();
      const sent = await send(bob, conversationId, 'secret');
      const c = `/v1/conversations/${conversationId}`;
      const m = `${c}/messages/${sent.body.id}`;
      const routes: [string, string, unknown?][] = [
        ['GET', c],
        ['PATCH', c, { title: 'pwned' }],
        ['POST', `${c}/members`, { userIds: [mallory.id] }],
        ['DELETE', `${c}/members/${bob.id}`],
        ['POST', `${c}/messages`, { clientMsgId: randomUUID(), body: 'hi' }],
        ['GET', `${c}/messages`],
        ['PATCH', m, { body: 'pwned' }],
        ['DELETE', m],
        ['PUT', `${m}/reactions/x`],
        ['DELETE', `${m}/reactions/x`],
        ['POST', `${c}/read`, { seq: 1 }],
        ['GET', `${c}/events`],
      ];
      // Two outsiders: one who never had anything to do with it, one who was removed from it.
      const leaver = await registerUser(anonymous, 'leaver');
      await alice.api.post(`${c}/members`, { userIds: [leaver.id] });
      expect((await alice.api.request('DELETE', `${c}/members/${leaver.id}`)).status).toBe(204);
      for (const [method, path, body] of routes) {
        for (const outsider of [mallory, leaver]) {
          const asStranger = await outsider.api.request(method, path, body);
          expect(asStranger.status, `${method} ${path} as ${outsider.username}`).toBe(404);
          expect(asStranger.body.error.code).toBe('not_found');
        }
        const asNobody = await anonymous.request(method, path, body);
        expect(asNobody.status, `${method} ${path} anonymously`).toBe(401);
      }
      const list = await mallory.api.get('/v1/conversations');
      expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(conversationId);
      const page = await alice.api.get(`${c}/messages`);
      expect(page.body.items).toEqual([expect.objectContaining({ body: 'secret', reactions: {} })]);
      expect((await alice.api.get(c)).body).toMatchObject({ title: 'team' });
    });
  });
});
