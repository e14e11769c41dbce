import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';

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
    const body = (await response.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^database/), expect.stringMatching(/^event store/)]),
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
    const body = (await response.json()) as { checks: { name: string; ok: boolean }[] };
    expect(response.status).toBe(200);
    expect(body.checks).toContainEqual(expect.objectContaining({ name: 'redis', ok: true }));
  });
});
