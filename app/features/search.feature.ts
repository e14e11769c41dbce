import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../../gateway/auth/authenticate.js';
import { searchRoute } from '../../gateway/search/search.route.js';
import type { MessageSearchIndex } from '../../infra/search/message-search-index.js';
import { openPostgresSearchIndex } from '../../infra/search/postgres/postgres.search-index.js';
import { searchProjection } from '../../projections/search/search.projection.js';
import { listMemberConversationIds } from '../../readmodels/search/member-conversations.query.js';
import { searchMessages } from '../../readmodels/search/search.query.js';
import type { Feature, Infrastructure } from '../compose.js';

/** Elasticsearch when `ELASTICSEARCH_URL` is set, else PostgreSQL full text in the read-model database. */
async function openSearchIndex(infra: Infrastructure): Promise<MessageSearchIndex> {
  const url = infra.config.ELASTICSEARCH_URL;
  if (!url) return openPostgresSearchIndex(infra.sql);
  // Loaded only when asked for: embedded mode never pays for the client.
  const { openElasticsearchSearchIndex } =
    await import('../../infra/search/elasticsearch/elasticsearch.search-index.js');
  return openElasticsearchSearchIndex({
    url,
    memberConversations: (userId) => listMemberConversationIds(infra.sql, userId),
  });
}

/**
 * Message search: the search projection keeps the index, the route queries it.
 * Needs the conversations feature (its read models say who is a member and what
 * a message looks like now) and the accounts feature's auth plugin.
 */
export function searchFeature() {
  return async (infra: Infrastructure): Promise<Feature> => {
    const index = await openSearchIndex(infra);
    infra.projections.register(searchProjection(index));
    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        searchRoute({
          searchMessages: (userId, query) => searchMessages({ db: infra.sql, index }, { userId, ...query }),
          authenticate: app.authenticate,
          callerId: (request) => requireUser(request).id,
        }),
      );
    };
    return {
      // The projection (whoever runs it) fills the index; the route is the REST API's.
      routes: infra.roles.has('api') ? routes : undefined,
      // PostgreSQL full text lives in the read-model database, which has its own check.
      readiness:
        index.engine === 'postgres'
          ? []
          : [{ name: `search (${index.engine})`, required: false, check: () => index.ping() }],
      stop: () => index.close(),
    };
  };
}
