import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Feature, Infrastructure } from '../compose.js';

/** Where `npm run build:web` writes the client (built at install time by `prepare`). */
export const defaultWebDist = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** Paths the client must never shadow: an unknown one among them is the API's 404, not the app. */
const SERVER_PATHS = /^\/(v1|health|ready|metrics|docs)(\/|$)/;

/**
 * The page's own policy: everything from this origin (the socket included), images
 * also from data and blob URLs (previews before upload). Set here rather than left
 * to the gateway's default because a 304 revalidation carries no content type, and
 * the policy a browser keeps for the cached page must still be this one.
 */
const CLIENT_CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names bundled files after their content hash, so they can be cached for good. */
const HASHED_ASSET = `${path.sep}assets${path.sep}`;

const NOT_BUILT_HINT =
  'Parley is running, but its web client is not built.\n' +
  'Build it with `npm run build:web` (npm install does it), then reload.\n' +
  'The API is under /v1, its documentation at /docs.\n';

/**
 * The web client at `/`: the files of `web/dist`, hashed assets with a year of
 * cache and `index.html` revalidated, and `index.html` again for any other GET
 * outside the API (the client routes itself). Without a build, `/` says how to
 * make one. Served where the REST API is (the `api` role): a client is no use
 * from a process that cannot answer it.
 */
export function webFeature(options: { distDir?: string } = {}) {
  return (infra: Pick<Infrastructure, 'roles'>): Feature => {
    if (!infra.roles.has('api')) return {};
    const distDir = options.distDir ?? defaultWebDist;
    const built = existsSync(path.join(distDir, 'index.html'));
    return {
      routes: async (app) => {
        if (!built) {
          app.get('/', { schema: { hide: true } }, async (_request, reply) =>
            reply.type('text/plain; charset=utf-8').send(NOT_BUILT_HINT),
          );
          return;
        }
        await app.register(fastifyStatic, {
          root: distDir,
          prefix: '/',
          // One route per built file, so the fallback below can own every other path.
          wildcard: false,
          cacheControl: false,
          setHeaders: (reply, filePath) => {
            if (filePath.includes(HASHED_ASSET))
              reply.header('cache-control', 'public, max-age=31536000, immutable');
            else reply.header('cache-control', 'no-cache').header('content-security-policy', CLIENT_CSP);
          },
        });
        app.get('/*', { schema: { hide: true } }, async (request, reply) => {
          const pathname = request.url.split('?')[0] ?? '/';
          if (SERVER_PATHS.test(pathname)) return reply.callNotFound();
          return reply.sendFile('index.html');
        });
      },
    };
  };
}
