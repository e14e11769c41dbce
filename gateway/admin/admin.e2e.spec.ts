import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFeatures } from '../../app/features.js';
import type { Infrastructure } from '../../app/compose.js';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';
import { forgeJwt, serverJwtSecret } from '../auth/testing/accounts-server.js';
import { registerNamedUser } from './testing/admin-users.js';

const ADMIN = 'chief_operator';

/** Requests to every admin route, as an administrator would send them, and some they would get a 400 for. */
const adminRequests: [method: string, path: string, body?: string][] = [
  ['GET', '/v1/admin/projections'],
  ['HEAD', '/v1/admin/projections'],
  ['POST', '/v1/admin/projections/messages/rebuild'],
  ['POST', '/v1/admin/projections/messages/rebuild', '{}'],
  ['POST', '/v1/admin/projections/no-such-projection/rebuild'],
  ['GET', '/v1/admin/analytics'],
  ['GET', '/v1/admin/analytics?from=2025-01-01&to=2025-01-31'],
  // Invalid for an administrator (400): still a plain 404 for anyone else.
  ['GET', '/v1/admin/analytics?from=yesterday'],
  // Malformed JSON is a 400 on any route, unknown ones included: the same here, then.
  ['POST', '/v1/admin/projections/messages/rebuild', '{not json'],
];

/** A projection whose state lives outside the read-model database (as unread counters in Redis would): no tables. */
function projectionOutsideSql(infra: Infrastructure) {
  infra.projections.register({
    name: 'outside-sql',
    version: 1,
    eventTypes: [],
    migrations: [],
    apply: () => Promise.resolve(),
  });
  return {};
}

interface RawAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

async function raw(
  baseUrl: string,
  [method, path, body]: [string, string, string?],
  token: string | undefined,
): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

describe.each<TestMode>(['embedded', 'postgres'])('the admin routes (%s)', (mode) => {
  let server: TestServer;
  let admin: { id: string; api: ApiClient };
  let member: RegisteredUser;
  /** The tokens of everyone who is not an administrator, by who they are. */
  let outsiders: [who: string, token: string | undefined][];

  beforeAll(async () => {
    // Spelled with spaces and capitals: the list is trimmed and lowercased like usernames.
    server = await startTestServer(mode, { PARLEY_ADMINS: ` someone_else , ${ADMIN.toUpperCase()} ` }, [
      ...allFeatures,
      projectionOutsideSql,
    ]);
    const api = new ApiClient(server.baseUrl);
    admin = await registerNamedUser(api, ADMIN);
    member = await registerUser(api, 'member');
    const secret = await serverJwtSecret(server);
    const claims = (sub: string, username: string, ttlSeconds = 600) => {
      const now = Math.floor(Date.now() / 1000);
      return { sub, username, aud: 'parley:access', iss: 'parley', iat: now, exp: now + ttlSeconds };
    };
    const header = { alg: 'HS256', typ: 'JWT' };
    outsiders = [
      ['an anonymous caller', undefined],
      ['a garbage token', 'not.a.jwt'],
      ["an administrator's expired token", forgeJwt(header, claims(admin.id, ADMIN, -60), secret)],
      ['a signed-in member', member.token],
      // Signed with the real key, so only the account lookup can tell: the claim is not trusted.
      [
        "a member's token claiming the administrator's username",
        forgeJwt(header, claims(member.id, ADMIN), secret),
      ],
      ['a token of an account that does not exist', forgeJwt(header, claims(randomUUID(), ADMIN), secret)],
    ];
    // A server start and two registrations at full scrypt cost: generous for a busy machine.
  }, 240_000);

  afterAll(async () => {
    await server?.close();
  });

  describe('to anyone but an administrator', () => {
    it('answer exactly what a route that does not exist answers', async () => {
      const checked: string[] = [];
      for (const [who, token] of outsiders) {
        for (const [method, path, body] of adminRequests) {
          const unknownPath = path.replace('/v1/admin/', `/v1/admin/missing-${randomUUID().slice(0, 8)}/`);
          const [answer, unknown] = await Promise.all([
            raw(server.baseUrl, [method, path, body], token),
            raw(server.baseUrl, [method, unknownPath, body], token),
          ]);
          const request = { who, method, path, body };
          expect({ ...request, ...answer }).toEqual({ ...request, ...unknown });
          if (body === '{not json') expect(answer.status).toBe(400);
          else expect(answer.status).toBe(404);
          if (answer.status === 404 && method !== 'HEAD')
            expect(JSON.parse(answer.body)).toEqual({ error: { code: 'not_found', message: 'not found' } });
          checked.push(`${who} ${method} ${path}`);
        }
      }
      expect(checked).toHaveLength(outsiders.length * adminRequests.length);
    });
  });

  describe('to an administrator', () => {
    it('list every projection with its checkpoint, lag and status', async () => {
      const response = await admin.api.get('/v1/admin/projections');
      expect(response.status).toBe(200);
      const names = response.body.items.map((item: { name: string }) => item.name);
      expect(names).toEqual(expect.arrayContaining(['users', 'conversations', 'messages', 'analytics']));
      for (const item of response.body.items) {
        expect(item).toEqual({
          name: expect.any(String),
          version: expect.any(Number),
          checkpoint: expect.stringMatching(/^\d+$/),
          lagEvents: expect.any(Number),
          lagSeconds: expect.any(Number),
          parked: 0,
          status: expect.stringMatching(/^(running|catching_up|rebuilding)$/),
        });
      }
    });

    it('answer analytics for a range, every day of it', async () => {
      const response = await admin.api.get('/v1/admin/analytics?from=2024-12-30&to=2025-01-02');
      expect(response.status).toBe(200);
      expect(response.body.days.map((day: { date: string }) => day.date)).toEqual([
        '2024-12-30',
        '2024-12-31',
        '2025-01-01',
        '2025-01-02',
      ]);
    });

    it('cover the last 30 days, today included, by default', async () => {
      const before = new Date().toISOString().slice(0, 10);
      const response = await admin.api.get('/v1/admin/analytics');
      expect(response.status).toBe(200);
      const dates = response.body.days.map((day: { date: string }) => day.date);
      expect(dates).toHaveLength(30);
      // The server's "today" may have turned over since this test read the clock: either day will do.
      expect([before, new Date().toISOString().slice(0, 10)]).toContain(dates[29]);
    });

    it.each([
      ['a malformed date', 'from=2025-1-1', 'from'],
      ['an impossible date', 'to=2025-02-30', 'to'],
      ['a reversed range', 'from=2025-02-01&to=2025-01-31', 'from'],
      ['a range over 366 days', 'from=2024-01-01&to=2025-01-01', 'from'],
    ])('refuse %s with 400 naming the field', async (_, query, field) => {
      const response = await admin.api.get(`/v1/admin/analytics?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
      expect(response.body.error.message).toContain(field);
    });

    it('are documented in the OpenAPI document', async () => {
      const document = (await (await fetch(`${server.baseUrl}/docs/json`)).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
      };
      expect(Object.keys(document.paths['/v1/admin/projections'] ?? {})).toContain('get');
      expect(Object.keys(document.paths['/v1/admin/projections/{name}/rebuild'] ?? {})).toContain('post');
      const analytics = document.paths['/v1/admin/analytics']?.get;
      expect(analytics?.responses['200']?.description).toContain('days without messages included');
    });

    it('answer 409 for a rebuild of a projection kept outside SQL', async () => {
      const response = await admin.api.post('/v1/admin/projections/outside-sql/rebuild');
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('conflict');
    });

    it('answer 404 for a rebuild of a projection that does not exist', async () => {
      const response = await admin.api.post('/v1/admin/projections/no-such-projection/rebuild');
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });
  });
});
