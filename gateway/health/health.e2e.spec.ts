import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/private-postgres.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';

interface ReadyBody {
  status: string;
  checks: { name: string; required: boolean; ok: boolean; error?: string }[];
}

/** A TCP connection to `port`: what a client of a service at that address would try first. */
function reach(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
  });
}

describe.each<TestMode>(['embedded', 'postgres'])('the gateway basics (%s)', (mode) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(mode);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers /health', async () => {
    const response = await fetch(`${server.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports every dependency on /ready', async () => {
    const response = await fetch(`${server.baseUrl}/ready`);
    const body = (await response.json()) as ReadyBody;
    expect(response.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: expect.stringMatching(/^database/), required: true }),
        expect.objectContaining({ name: expect.stringMatching(/^event store/), required: true }),
      ]),
    );
    expect(body.checks.every((check) => check.ok)).toBe(true);
  });

  it('answers an unknown route with a not_found error body', async () => {
    const response = await fetch(`${server.baseUrl}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'not found' } });
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await fetch(`${server.baseUrl}/metrics`);
    expect(await metrics.text()).toContain('parley_http_request_duration_seconds');
    const openapi = await fetch(`${server.baseUrl}/docs/json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('echoes a sane x-request-id and replaces an unsafe one', async () => {
    const kept = await fetch(`${server.baseUrl}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${server.baseUrl}/health`, { headers: { 'x-request-id': 'bad id\u00e9' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe.each([
  { required: false, code: 200, status: 'degraded' },
  { required: true, code: 503, status: 'not_ready' },
])('readiness with a dependency away that is required: $required', ({ required, code, status }) => {
  let server: TestServer;

  beforeAll(async () => {
    // Nothing listens there: connecting is refused at once.
    const port = await freePort();
    server = await startTestServer('postgres', {}, [
      () => ({ readiness: [{ name: 'away', required, check: () => reach(port) }] }),
    ]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`answers ${code} ${status}, naming the failed check and its error`, async () => {
    const response = await fetch(`${server.baseUrl}/ready`);
    const body = (await response.json()) as ReadyBody;
    expect(response.status).toBe(code);
    expect(body.status).toBe(status);
    expect(body.checks).toContainEqual({
      name: 'away',
      required,
      ok: false,
      error: expect.stringContaining('ECONNREFUSED'),
    });
    expect(body.checks.filter((check) => check.name !== 'away').every((check) => check.ok)).toBe(true);
  });
});

describe('readiness with Redis configured', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('postgres', {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('asks Redis too', async () => {
    const response = await fetch(`${server.baseUrl}/ready`);
    const body = (await response.json()) as ReadyBody;
    expect(response.status).toBe(200);
    expect(body.checks).toContainEqual({ name: 'redis', required: false, ok: true });
  });
});
