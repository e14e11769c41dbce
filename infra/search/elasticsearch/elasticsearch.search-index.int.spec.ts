import { randomUUID } from 'node:crypto';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import { describe } from 'vitest';
import { openTestEngine } from '../../../projections/testing/test-engine.js';
import { listMemberConversationIds } from '../../../readmodels/search/member-conversations.query.js';
import { describeMessageSearchConformance } from '../message-search-index.conformance.js';
import { openElasticsearchSearchIndex } from './elasticsearch.search-index.js';

interface Target {
  url: string;
  stop(): Promise<void>;
}

const RUNTIME_CHECK_MS = 5_000;

/**
 * Decided while the file is collected: without an Elasticsearch every test is
 * reported skipped (never passed) and one line says why.
 */
async function findElasticsearch(): Promise<Target | { skipped: string }> {
  const url = process.env.ELASTICSEARCH_URL;
  if (url) return { url, stop: () => Promise.resolve() };
  try {
    await withTimeout(getContainerRuntimeClient(), RUNTIME_CHECK_MS);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120);
    return { skipped: reason };
  }
  // Started here rather than in beforeAll, whose timeout a first image pull would exceed.
  const container = await new GenericContainer('docker.elastic.co/elasticsearch/elasticsearch:9.1.5')
    .withEnvironment({
      'discovery.type': 'single-node',
      'xpack.security.enabled': 'false',
      ES_JAVA_OPTS: '-Xms512m -Xmx512m',
    })
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow', 9200).forStatusCode(200))
    .withStartupTimeout(180_000)
    .start();
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(9200)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const target = await findElasticsearch();
if ('skipped' in target) {
  process.stdout.write(
    `Elasticsearch search conformance suite skipped: ELASTICSEARCH_URL is not set and no Docker engine was found (${target.skipped})\n`,
  );
}

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
