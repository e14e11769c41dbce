import { randomUUID } from 'node:crypto';
import { GenericContainer, Wait } from 'testcontainers';
import { describe } from 'vitest';
import { openTestEngine } from '../../../projections/testing/test-engine.js';
import { listMemberConversationIds } from '../../../readmodels/search/member-conversations.query.js';
import { describeMessageSearchConformance } from '../message-search-index.conformance.js';
import { findExternalService } from '../../../test/support/external-service.js';
import { openElasticsearchSearchIndex } from './elasticsearch.search-index.js';

// Decided while the file is collected: without an Elasticsearch every test is
// reported skipped (never passed) and one line says why.
const target = await findExternalService({
  suite: 'Elasticsearch search conformance suite',
  envVar: 'ELASTICSEARCH_URL',
  container: () =>
    new GenericContainer('docker.elastic.co/elasticsearch/elasticsearch:9.1.5')
      .withEnvironment({
        'discovery.type': 'single-node',
        'xpack.security.enabled': 'false',
        ES_JAVA_OPTS: '-Xms512m -Xmx512m',
      })
      .withExposedPorts(9200)
      .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow', 9200).forStatusCode(200))
      .withStartupTimeout(180_000),
  urlOf: (started) => `http://${started.getHost()}:${started.getMappedPort(9200)}`,
});

describe.skipIf('skipped' in target)('Elasticsearch engine', () => {
  describeMessageSearchConformance('Elasticsearch', async () => {
    if ('skipped' in target) throw new Error('unreachable: the suite is skipped');
    // Membership lives in the read models: an embedded database beside the cluster.
    const engine = await openTestEngine('pglite', 'search-es');
    const index = await openElasticsearchSearchIndex({
      url: target.url,
      // An alias of its own, so runs against a shared cluster never meet.
      alias: `parley-test-${randomUUID()}`,
      memberConversations: (userId) => listMemberConversationIds(engine.sql, userId),
    });
    return {
      engine,
      index,
      async close() {
        await index.close();
        await engine.close();
        await target.stop();
      },
    };
  });
});
