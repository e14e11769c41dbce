import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { searchMessagesAnswer, searchMessagesQuery } from './search.schemas.js';

export type SearchMessagesQuery = z.infer<typeof searchMessagesQuery>;
export type SearchMessagesAnswer = z.infer<typeof searchMessagesAnswer>;

export interface SearchRouteDeps {
  /**
   * The caller's matches. Rejects with `NotFoundError` for a conversation the
   * caller is not a member of, `ValidationError` for a bad query.
   */
  searchMessages(userId: string, query: SearchMessagesQuery): Promise<SearchMessagesAnswer['items']>;
  /** Rejects an unauthenticated request with 401; on success the caller is known. */
  authenticate: preHandlerAsyncHookHandler;
  callerId: (request: FastifyRequest) => string;
}

/** `GET /v1/search/messages`: full-text search over the caller's conversations. */
export const searchRoute =
  (deps: SearchRouteDeps): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', deps.authenticate);
    app.get(
      '/v1/search/messages',
      {
        schema: {
          tags: ['search'],
          summary: 'Search messages',
          querystring: searchMessagesQuery,
          response: { 200: searchMessagesAnswer },
        },
      },
      async (request) => ({ items: await deps.searchMessages(deps.callerId(request), request.query) }),
    );
  };
