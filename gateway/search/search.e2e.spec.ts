import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_QUERIES } from '../../infra/search/message-search-index.conformance.js';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';

/** A word no other test (or earlier run) uses, so each test sees only its own messages. */
const uniqueWord = (stem: string) => `${stem}${randomUUID().replace(/-/g, '').slice(0, 8)}`;

describe.each<TestMode>(['postgres', 'embedded'])('message search over REST (%s)', (mode) => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let mallory: RegisteredUser;
  let conversationId: string;

  beforeAll(async () => {
    server = await startTestServer(mode);
    const anonymous = new ApiClient(server.baseUrl);
    alice = await registerUser(anonymous, 'alice');
    bob = await registerUser(anonymous, 'bob');
    mallory = await registerUser(anonymous, 'mallory');
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'search',
    });
    expect(created.status).toBe(201);
    conversationId = created.body.id as string;
  });
  afterAll(async () => {
    await server?.close();
  });

  const send = async (body: string) => {
    const response = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body,
    });
    expect(response.status).toBe(201);
    return response.body.id as string;
  };
  const search = (user: RegisteredUser, query: Record<string, string>) =>
    user.api.get(`/v1/search/messages?${new URLSearchParams(query).toString()}`);
  const foundIds = async (user: RegisteredUser, q: string) => {
    const response = await search(user, { q });
    expect(response.status).toBe(200);
    return (response.body.items as { id: string }[]).map((item) => item.id);
  };

  it('finds a message once its send is answered, as a Message with a highlight', async () => {
    const word = uniqueWord('kayak');
    const messageId = await send(`who brought the ${word} paddles?`);
    const response = await search(bob, { q: word });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      expect.objectContaining({
        id: messageId,
        conversationId,
        senderId: alice.id,
        body: `who brought the ${word} paddles?`,
        deleted: false,
        highlight: expect.stringContaining(`<mark>${word}</mark>`),
      }),
    ]);
  });

  it('finds an edited message by its new text only', async () => {
    const before = uniqueWord('canoe');
    const after = uniqueWord('dinghy');
    const messageId = await send(`the ${before} is ready`);
    const edited = await alice.api.patch(`/v1/conversations/${conversationId}/messages/${messageId}`, {
      body: `the ${after} is ready`,
    });
    expect(edited.status).toBe(200);
    expect(await foundIds(alice, before)).toEqual([]);
    const response = await search(alice, { q: after });
    expect(response.body.items).toEqual([
      expect.objectContaining({ id: messageId, body: `the ${after} is ready`, editedAt: expect.any(String) }),
    ]);
  });

  it('never finds a deleted message', async () => {
    const word = uniqueWord('raft');
    const messageId = await send(`a ${word} for two`);
    expect(await foundIds(alice, word)).toEqual([messageId]);
    const deleted = await alice.api.delete(`/v1/conversations/${conversationId}/messages/${messageId}`);
    expect(deleted.status).toBe(204);
    expect(await foundIds(alice, word)).toEqual([]);
    expect(await foundIds(bob, word)).toEqual([]);
  });

  it('finds nothing for a non-member, and answers 404 for a conversation they are not in', async () => {
    const word = uniqueWord('sailboat');
    await send(`the ${word} leaves at noon`);
    expect(await foundIds(mallory, word)).toEqual([]);
    const foreign = await search(mallory, { q: word, conversationId });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    const unknown = await search(alice, { q: word, conversationId: randomUUID() });
    expect(unknown.status).toBe(404);
    const own = await search(bob, { q: word, conversationId });
    expect(own.body.items).toHaveLength(1);
  });

  it('answers bad_request naming the field for an empty or too long q, a bad limit or conversationId', async () => {
    for (const [query, field] of [
      [{}, 'q'],
      [{ q: '   ' }, 'q'],
      [{ q: 'x'.repeat(501) }, 'q'],
      [{ q: 'x', limit: '0' }, 'limit'],
      [{ q: 'x', limit: '101' }, 'limit'],
      [{ q: 'x', conversationId: 'nope' }, 'conversationId'],
    ] as const) {
      const response = await search(alice, query);
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
      expect(response.body.error.message).toContain(field);
    }
  });

  it('keeps to limit, 20 by default', async () => {
    const word = uniqueWord('oar');
    for (let index = 0; index < 22; index++) await send(`${word} number ${index}`);
    expect(await foundIds(alice, word)).toHaveLength(20);
    const limited = await search(alice, { q: word, limit: '3' });
    expect(limited.body.items).toHaveLength(3);
  });

  it('answers injection attempts with 200 or 400, never a server error', async () => {
    const word = uniqueWord('buoy');
    await send(`${word} and "quotes" & symbols`);
    const attempts = [
      ...HOSTILE_QUERIES,
      `${word}'; select pg_sleep(1); --`,
      `${word}) or 1=1 --`,
      `${word}:* & !x`,
      `${word} \\' \\\\ "`,
    ];
    for (const q of attempts) {
      const response = await search(alice, { q });
      expect([200, 400], q).toContain(response.status);
    }
    // The quoted word is still found among the noise.
    expect(await foundIds(alice, `"${word}" ')`)).toHaveLength(1);
  });

  it('is listed in the OpenAPI document with its highlight markup', async () => {
    const response = await new ApiClient(server.baseUrl).get('/docs/json');
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body.paths['/v1/search/messages'])).toBeDefined();
    expect(JSON.stringify(response.body)).toContain('<mark>');
  });
});
