import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../domain/events.registry.js';
import { SqlEventStore } from '../infra/eventstore/sql/sql-event-store.js';
import { openPostgresSearchIndex } from '../infra/search/postgres/postgres.search-index.js';
import { createPostgresClient } from '../infra/sql/postgres.sql-client.js';
import type { SqlClient } from '../infra/sql/sql-client.js';
import { conversationsProjection, messagesProjection, type Projection } from '../projections/index.js';
import { decodeRecorded } from '../projections/recorded-events.js';
import { ProjectionRunner } from '../projections/runner/projection-runner.js';
import { searchProjection } from '../projections/search/search.projection.js';
import { conversationCreated, conversationStream, messageSent } from '../projections/testing/chat-events.js';
import { appendDomainEvents } from '../projections/testing/domain-events.js';
import { searchMessages } from '../readmodels/search/search.query.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { seededRandom } from '../test/support/seeded-random.js';
import { report, round, summarize } from './stats.js';

const MESSAGES = Number(process.env.BENCH_SEARCH_MESSAGES ?? 200_000);
const PER_CONVERSATION = 100;
const MEMBERS_PER_CONVERSATION = 5;
const USERS = 1_000;
const VOCABULARY = 20_000;
const QUERIES = 1_000;
const WARMUP_QUERIES = 50;

/**
 * Words drawn with Zipf's law (rank r has weight 1/r), as in natural text: a few
 * words are in a large share of the messages, most are rare. Queries are drawn
 * the same way, so common words (the slow case: many matches to rank) are asked
 * for as often as they occur.
 */
function zipfWords(next: () => number): () => string {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= VOCABULARY; rank++) cumulative.push((total += 1 / rank));
  const words = Array.from({ length: VOCABULARY }, (_, index) => {
    let word = '';
    for (let n = index + 1; n > 0; n = Math.floor(n / 20))
      word += 'bcdfghjklmnprstvwxyz'[n % 20]! + 'aeiou'[n % 5]!;
    return word;
  });
  return () => {
    const target = next() * total;
    let low = 0;
    let high = VOCABULARY - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return words[low]!;
  };
}

/** Decodes every message event and writes nothing. */
const nothingProjection: Projection = {
  name: 'bench-nothing',
  version: 1,
  eventTypes: ['MessageSent', 'MessageEdited', 'MessageDeleted'],
  migrations: [],
  apply: (_tx, event) => Promise.resolve(void decodeRecorded(event)),
  applyBatch: (_tx, events) => Promise.resolve(void events.forEach(decodeRecorded)),
};

async function runUntilCaughtUp(sql: SqlClient, store: SqlEventStore, projections: Projection[]) {
  const head = await store.headPosition();
  const runner = new ProjectionRunner({ sql, eventStore: store, projections });
  const started = performance.now();
  await runner.start();
  if (!(await runner.waitForPosition(head, 30 * 60_000))) throw new Error('the projection did not catch up');
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  return seconds;
}

/**
 * Search, PostgreSQL engine: the index rate while the search projection replays
 * 200,000 messages from the start of the log, then query latency at that size
 * (the whole query path: membership, ranking, highlights, message views).
 */
export async function benchSearch(): Promise<void> {
  const database = await createTestDatabase('bench-search');
  const sql = createPostgresClient({ connectionString: database.url, max: 4, applicationName: 'bench' });
  const store = await SqlEventStore.open(sql);
  try {
    const next = seededRandom(42);
    const word = zipfWords(next);
    const users = Array.from({ length: USERS }, () => randomUUID());
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const conversations: string[] = [];
    const at = new Date(Date.UTC(2030, 0, 1)).getTime();
    for (let sent = 0; sent < MESSAGES; sent += PER_CONVERSATION) {
      const conversationId = randomUUID();
      conversations.push(conversationId);
      const members = new Set<string>();
      while (members.size < MEMBERS_PER_CONVERSATION) members.add(pick(users));
      const [owner, ...others] = [...members];
      const events: DomainEvent[] = [
        conversationCreated({ conversationId, owner: owner!, others, at: new Date(at).toISOString() }),
      ];
      for (let seq = 1; seq <= Math.min(PER_CONVERSATION, MESSAGES - sent); seq++) {
        const length = 6 + Math.floor(next() * 15);
        const body = Array.from({ length }, word).join(' ');
        const sentAt = new Date(at + (sent + seq) * 1000).toISOString();
        events.push(messageSent({ seq, senderId: pick([...members]), sentAt, body }));
      }
      await appendDomainEvents(store, conversationStream(conversationId), events);
    }

    // Membership and message views first (not measured), then the search index alone from position 0.
    await runUntilCaughtUp(sql, store, [conversationsProjection, messagesProjection]);
    // The runner alone (read the log, decode, checkpoint): the floor under any index rate.
    const floorSeconds = await runUntilCaughtUp(sql, store, [nothingProjection]);
    report({
      workload: 'search-index-replay-floor',
      engine: 'postgres',
      messages: MESSAGES,
      messagesPerSec: round(MESSAGES / floorSeconds, 0),
    });
    const index = await openPostgresSearchIndex(sql);
    const indexSeconds = await runUntilCaughtUp(sql, store, [searchProjection(index)]);
    await sql.query('analyze');
    report({
      workload: 'search-index-replay',
      engine: 'postgres',
      messages: MESSAGES,
      seconds: round(indexSeconds),
      messagesPerSec: round(MESSAGES / indexSeconds, 0),
    });

    for (const scope of ['all-conversations', 'one-conversation'] as const) {
      const latencies: number[] = [];
      let hits = 0;
      for (let query = 0; query < WARMUP_QUERIES + QUERIES; query++) {
        const userId = pick(users);
        const q = next() < 0.5 ? word() : `${word()} ${word()}`;
        const conversationId =
          scope === 'one-conversation'
            ? ((
                await sql.query<{ conversation_id: string }>(
                  'select conversation_id from conversation_members where user_id = $1 limit 1',
                  [userId],
                )
              )[0]?.conversation_id ?? undefined)
            : undefined;
        const before = performance.now();
        const items = await searchMessages({ db: sql, index }, { userId, q, conversationId, limit: 20 });
        if (query >= WARMUP_QUERIES) {
          latencies.push(performance.now() - before);
          hits += items.length;
        }
      }
      report({
        workload: `search-query-${scope}`,
        engine: 'postgres',
        messages: MESSAGES,
        queries: QUERIES,
        meanHits: round(hits / QUERIES, 1),
        ...summarize(latencies),
      });
    }
  } finally {
    await store.close();
    await sql.close();
    await database.drop();
  }
}
