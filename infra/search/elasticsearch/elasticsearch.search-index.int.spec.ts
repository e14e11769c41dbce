import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { GenericContainer, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatProjections } from '../../../projections/index.js';
import { startProjectionRebuild } from '../../../projections/rebuild/projection-rebuild.js';
import { seedChatLog } from '../../../projections/rebuild/testing/chat-log.js';
import { ProjectionRunner } from '../../../projections/runner/projection-runner.js';
import { searchProjection } from '../../../projections/search/search.projection.js';
import { openTestEngine, type TestEngine } from '../../../projections/testing/test-engine.js';
import { listMemberConversationIds } from '../../../readmodels/search/member-conversations.query.js';
import { describeMessageSearchConformance } from '../message-search-index.conformance.js';
import type { MessageSearchIndex, SearchHit } from '../message-search-index.js';
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

/** Generous: the rebuild case replays a few thousand events into a fresh index. */
const SLOW = 240_000;

const urlOf = () => {
  if ('skipped' in target) throw new Error('unreachable: the suite is skipped');
  return target.url;
};

describe.skipIf('skipped' in target)('Elasticsearch engine', () => {
  // Once, after every suite of the file: they share the cluster.
  afterAll(async () => {
    if (!('skipped' in target)) await target.stop();
  });

  describeMessageSearchConformance('Elasticsearch', async () => {
    // Membership lives in the read models: an embedded database beside the cluster.
    const engine = await openTestEngine('pglite', 'search-es');
    const index = await openElasticsearchSearchIndex({
      url: urlOf(),
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
      },
    };
  });

  describe('rebuilding the index', () => {
    const alias = `parley-test-${randomUUID()}`;
    const alice = randomUUID();
    let engine: TestEngine;
    let index: MessageSearchIndex;
    let client: Client;
    let runner: ProjectionRunner;
    let conversations: string[];
    const projection = () => searchProjection(index);

    /** Every hit of a few queries in each conversation (each has fewer than 100), by message id: ranking aside. */
    const searchEverything = async () => {
      const hits: SearchHit[] = [];
      for (const conversationId of conversations)
        for (const text of ['lunch', 'release', '"a bug"', 'edited -tests'])
          hits.push(...(await index.search({ userId: alice, text, conversationId, limit: 100 })));
      return hits.map((hit) => JSON.stringify(hit)).sort();
    };

    beforeAll(async () => {
      engine = await openTestEngine('pglite', 'search-es-rebuild');
      index = await openElasticsearchSearchIndex({
        url: urlOf(),
        alias,
        memberConversations: (userId) => listMemberConversationIds(engine.sql, userId),
      });
      client = new Client({ node: urlOf() });
      ({ conversations } = await seedChatLog(engine.eventStore, {
        events: 3_000,
        members: [alice, randomUUID()],
        perConversation: 100,
      }));
      runner = new ProjectionRunner({
        sql: engine.sql,
        eventStore: engine.eventStore,
        projections: [...chatProjections, projection()],
      });
      await runner.start();
      expect(await runner.waitForPosition(await engine.eventStore.headPosition(), SLOW)).toBe(true);
      await index.settle();
    }, SLOW);

    afterAll(async () => {
      await runner?.stop();
      await client?.indices
        .delete({ index: [`${alias}-v1`, `${alias}-v2`], ignore_unavailable: true })
        .catch(() => undefined);
      await client?.close();
      await index?.close();
      await engine?.close();
    });

    it(
      'fills a new index version and moves the alias to it while searches keep answering',
      async () => {
        const before = await searchEverything();
        expect(before.length).toBeGreaterThan(0);
        expect(Object.keys(await client.indices.getAlias({ name: alias }))).toEqual([`${alias}-v1`]);

        // Searches run during the whole rebuild: none may fail or come back empty for a word every conversation has.
        let rebuilding = true;
        let searches = 0;
        const missed: unknown[] = [];
        const searching = (async () => {
          while (rebuilding) {
            searches += 1;
            try {
              const hits = await index.search({ userId: alice, text: 'lunch', limit: 10 });
              if (hits.length === 0) missed.push('no hit');
            } catch (error) {
              missed.push(error);
            }
          }
        })();
        const result = await startProjectionRebuild({
          sql: engine.sql,
          eventStore: engine.eventStore,
          projection: projection(),
          toVersion: 2,
        }).done.finally(() => (rebuilding = false));
        await searching;

        expect(missed).toEqual([]);
        expect(searches).toBeGreaterThan(0);
        expect(result.parked).toBe(0);
        expect(Object.keys(await client.indices.getAlias({ name: alias }))).toEqual([`${alias}-v2`]);
        expect(await client.indices.exists({ index: `${alias}-v1` })).toBe(false);
        await index.settle();
        expect(await searchEverything()).toEqual(before);
      },
      SLOW,
    );

    it(
      'indexes what is sent after the rebuild into the new version',
      async () => {
        const { conversations: fresh } = await seedChatLog(engine.eventStore, {
          events: 50,
          members: [alice],
          perConversation: 50,
          seed: 5,
        });
        expect(await runner.waitForPosition(await engine.eventStore.headPosition(), SLOW)).toBe(true);
        await index.settle();
        const hits = await index.search({
          userId: alice,
          text: 'lunch',
          conversationId: fresh[0],
          limit: 100,
        });
        expect(hits.length).toBeGreaterThan(0);
        const counts = await client.count({
          index: `${alias}-v2`,
          query: { term: { conversationId: fresh[0] } },
        });
        expect(counts.count).toBeGreaterThan(0);
      },
      SLOW,
    );
  });
});
