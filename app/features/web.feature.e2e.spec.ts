import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { webFeature } from './web.feature.js';

/** A GET with If-None-Match, as a browser revalidates (fetch would add `cache-control: no-cache`). */
function conditionalGet(
  url: string,
  etag: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'if-none-match': etag } }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, headers: response.headers });
      })
      .on('error', reject);
  });
}

const INDEX = '<!doctype html><title>Parley test client</title><script src="/assets/app-1a2b3c.js"></script>';

describe('the web client feature', () => {
  describe('with a built client', () => {
    let server: TestServer;
    let distDir: string;

    beforeAll(async () => {
      distDir = await mkdtemp(path.join(tmpdir(), 'parley-web-dist-'));
      await mkdir(path.join(distDir, 'assets'));
      await writeFile(path.join(distDir, 'index.html'), INDEX);
      await writeFile(path.join(distDir, 'assets', 'app-1a2b3c.js'), 'export {};\n');
      server = await startTestServer('embedded', {}, [webFeature({ distDir })]);
    });
    afterAll(async () => {
      await server?.close();
      await rm(distDir, { recursive: true, force: true });
    });

    it('serves index.html at / to be revalidated, with the page policy the client needs', async () => {
      const response = await fetch(`${server.baseUrl}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await response.text()).toBe(INDEX);
    });

    it('keeps that policy on a 304 revalidation, which has no content type', async () => {
      const first = await fetch(`${server.baseUrl}/`);
      const etag = first.headers.get('etag')!;
      const again = await conditionalGet(`${server.baseUrl}/`, etag);
      expect(again.status).toBe(304);
      expect(again.headers['content-security-policy']).toBe(first.headers.get('content-security-policy'));
    });

    it('lets browsers keep hashed assets for a year', async () => {
      const response = await fetch(`${server.baseUrl}/assets/app-1a2b3c.js`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    });

    it("answers the client's own paths with index.html", async () => {
      const response = await fetch(`${server.baseUrl}/conversations/some-id?x=1`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(INDEX);
    });

    it('leaves the API, health and docs paths alone', async () => {
      const unknown = await fetch(`${server.baseUrl}/v1/nothing-here`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'not found' } });
      expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
      expect((await fetch(`${server.baseUrl}/docs/json`)).headers.get('content-type')).toMatch(/json/);
      expect((await fetch(`${server.baseUrl}/metrics/extra`)).status).toBe(404);
    });
  });

  describe('without a build', () => {
    let server: TestServer;
    let emptyDir: string;

    beforeAll(async () => {
      emptyDir = await mkdtemp(path.join(tmpdir(), 'parley-web-none-'));
      server = await startTestServer('embedded', {}, [webFeature({ distDir: emptyDir })]);
    });
    afterAll(async () => {
      await server?.close();
      await rm(emptyDir, { recursive: true, force: true });
    });

    it('says at / how to build the client', async () => {
      const response = await fetch(`${server.baseUrl}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toContain('npm run build:web');
    });
  });
});
