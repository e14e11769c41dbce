import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser } from '../../test/support/api-client.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each([
  ['embedded, counters in process', 'embedded', {}],
  ['server mode, counters in Redis', 'postgres', { REDIS_URL }],
] as const)('per-address rate limit (%s)', (_label, mode, environment) => {
  let server: TestServer;

  beforeAll(async () => {
    // Each test server has a Redis key prefix of its own, so its counters start from zero.
    server = await startTestServer(mode, { ...environment, RATE_LIMIT_PER_IP_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers rate_limited with Retry-After past the limit, and never limits /health', async () => {
    const statuses = [];
    for (let index = 0; index < 4; index++)
      statuses.push((await fetch(`${server.baseUrl}/v1/nothing`)).status);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const limited = await fetch(`${server.baseUrl}/v1/nothing`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
  });
});

describe.each([
  ['embedded, counters in process', 'embedded', {}],
  ['server mode, counters in Redis', 'postgres', { REDIS_URL }],
] as const)('per-user rate limit (%s)', (_label, mode, environment) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(mode, { ...environment, RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('limits each signed-in user on their own, whatever the route', async () => {
    const anonymous = new ApiClient(server.baseUrl);
    // Fresh users: their counters start at zero even when Redis outlives a run.
    const [alice, bob] = [await registerUser(anonymous, 'alice'), await registerUser(anonymous, 'bob')];
    const statuses = [
      (await alice.api.get('/v1/me')).status,
      (await alice.api.get('/v1/conversations')).status,
      (await alice.api.get(`/v1/users/${bob.id}`)).status,
      (await alice.api.get('/v1/me')).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await alice.api.get('/v1/conversations');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await bob.api.get('/v1/me')).status).toBe(200);
  });
});
