import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { contentDispositionOf, isInlineType } from '../../infra/blobs/content-disposition.js';
import type { LocalBlobStore } from '../../infra/blobs/local/local.blob-store.js';
import { HttpError } from '../http-errors.js';

const params = z.object({ owner: z.string().max(64), id: z.string().max(64) });
const grantQuery = z.object({
  type: z.string().max(300).optional(),
  exp: z.string().max(20).optional(),
  size: z.string().max(20).optional(),
  name: z.string().max(1000).optional(),
  sig: z.string().max(200).optional(),
});

/**
 * The local-disk engine's signed URLs: `PUT /v1/blobs/<key>` stores an upload,
 * `GET /v1/blobs/<key>` serves it once published (a message referenced it). The
 * signature in the query is the only credential (no bearer token: a browser
 * `<img>` must be able to load it).
 */
export const blobRoutes =
  (store: LocalBlobStore, maxBytes: number): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    // The body reaches the handler as the raw stream, whatever its type: it goes to disk, not to memory.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const checked = (method: 'GET' | 'PUT', key: string, query: z.infer<typeof grantQuery>) => {
      const result = store.check(method, key, query);
      if (!result.ok) throw new ForbiddenError(result.reason);
      return result.grant;
    };

    app.put(
      '/v1/blobs/:owner/:id',
      // The one route allowed past the 256 KiB API limit; the grant's size bounds it further.
      { bodyLimit: maxBytes, schema: { hide: true, params, querystring: grantQuery } },
      async (request, reply) => {
        const key = `${request.params.owner}/${request.params.id}`;
        const grant = checked('PUT', key, request.query);
        const size = grant.size ?? 0;
        const contentType = request.headers['content-type'] ?? '';
        if (contentType !== grant.contentType) {
          throw new ValidationError(`the upload must have Content-Type ${grant.contentType}`, 'content-type');
        }
        const declared = request.headers['content-length'];
        if (declared !== undefined && Number(declared) > size) {
          throw new HttpError('payload_too_large', `the upload must be exactly ${size} bytes`);
        }
        if (declared !== undefined && Number(declared) < size) {
          throw new ValidationError(`the upload must be exactly ${size} bytes`, 'content-length');
        }
        const outcome = await store.write(key, size, request.raw, grant.contentType);
        if (outcome === 'too_large')
          throw new HttpError('payload_too_large', `the upload must be exactly ${size} bytes`);
        if (outcome === 'type_mismatch')
          throw new ValidationError(`the bytes are not ${grant.contentType}`, 'content-type');
        if (outcome === 'too_small')
          throw new ValidationError(`the upload must be exactly ${size} bytes`, 'content-length');
        if (outcome === 'published')
          throw new ConflictError(
            'this attachment was sent already and cannot change; upload under a new key',
          );
        return reply.code(200).send();
      },
    );

    app.get(
      '/v1/blobs/:owner/:id',
      { schema: { hide: true, params, querystring: grantQuery } },
      async (request, reply) => {
        const key = `${request.params.owner}/${request.params.id}`;
        const grant = checked('GET', key, request.query);
        const found = await store.read(key);
        if (!found) throw new NotFoundError('no such blob');
        const remaining = Math.max(0, grant.expires - Math.floor(Date.now() / 1000));
        reply
          .header('content-type', grant.contentType)
          .header('content-length', String(found.size))
          .header('content-disposition', contentDispositionOf(grant.contentType, grant.filename ?? ''))
          // The browser must not second-guess the type, and nothing served here may run script.
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', `private, max-age=${remaining}`);
        if (!isInlineType(grant.contentType)) reply.header('x-download-options', 'noopen');
        return reply.send(found.stream);
      },
    );
  };
