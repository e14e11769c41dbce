import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/support/server.js';

/** Every `$ref` string anywhere in a JSON document. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsIn(inner, found);
    }
  }
  return found;
}

describe('the OpenAPI document at /docs/json', () => {
  let server: TestServer;
  let document: { paths: Record<string, Record<string, unknown>>; components?: { schemas?: object } };

  beforeAll(async () => {
    server = await startTestServer('embedded');
    document = (await (await fetch(`${server.baseUrl}/docs/json`)).json()) as typeof document;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('defines every schema it refers to', () => {
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(0);
    const defined = new Set(Object.keys(document.components?.schemas ?? {}));
    const missing = refs.filter((ref) => !defined.has(ref.replace('#/components/schemas/', '')));
    expect(missing).toEqual([]);
  });

  it("documents PROTOCOL.md's REST routes that are built", () => {
    const routes: [string, string][] = [
      ['post', '/v1/auth/register'],
      ['post', '/v1/auth/login'],
      ['post', '/v1/auth/refresh'],
      ['post', '/v1/auth/logout'],
      ['get', '/v1/me'],
      ['patch', '/v1/me'],
      ['get', '/v1/users'],
      ['get', '/v1/users/{id}'],
      ['post', '/v1/conversations'],
      ['get', '/v1/conversations'],
      ['get', '/v1/conversations/{id}'],
      ['patch', '/v1/conversations/{id}'],
      ['post', '/v1/conversations/{id}/members'],
      ['delete', '/v1/conversations/{id}/members/{userId}'],
      ['post', '/v1/conversations/{id}/messages'],
      ['get', '/v1/conversations/{id}/messages'],
      ['patch', '/v1/conversations/{id}/messages/{messageId}'],
      ['delete', '/v1/conversations/{id}/messages/{messageId}'],
      ['put', '/v1/conversations/{id}/messages/{messageId}/reactions/{emoji}'],
      ['delete', '/v1/conversations/{id}/messages/{messageId}/reactions/{emoji}'],
      ['post', '/v1/conversations/{id}/read'],
      ['get', '/v1/conversations/{id}/events'],
      ['get', '/v1/search/messages'],
    ];
    const undocumented = routes.filter(([method, path]) => !document.paths[path]?.[method]);
    expect(undocumented).toEqual([]);
  });
});
