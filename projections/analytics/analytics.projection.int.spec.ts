import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAnalyticsHistory, HISTORY_RANGE } from '../../gateway/admin/testing/analytics-history.js';
import { migrate } from '../../infra/sql/migrate.js';
import { analyticsTables } from '../../readmodels/analytics/analytics.schema.js';
import { getDailyAnalytics } from '../../readmodels/analytics/analytics.query.js';
import { ProjectionRunner } from '../runner/projection-runner.js';
import { openTestEngine, type TestEngine } from '../testing/test-engine.js';
import { analyticsProjection } from './analytics.projection.js';

// PostgreSQL here (the embedded engine is covered end to end by gateway/admin/analytics.e2e.spec.ts).
describe('the analytics projection', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await openTestEngine('postgres', 'analytics');
  });

  afterAll(async () => {
    await engine?.close();
  });

  /** Every row of every analytics table, in a stable order. */
  async function tableContents() {
    const contents: Record<string, unknown[]> = {};
    for (const table of analyticsTables)
      contents[table] = await engine.sql.query(`select * from ${table} as row order by row::text`);
    return contents;
  }

  async function emptyTables() {
    for (const table of analyticsTables) await engine.sql.query(`delete from ${table}`);
  }

  it('gives the figures worked out by hand, through the runner', async () => {
    const history = await appendAnalyticsHistory(engine.eventStore);
    const runner = new ProjectionRunner({
      sql: engine.sql,
      eventStore: engine.eventStore,
      projections: [analyticsProjection],
      retry: { attempts: 1, baseDelayMs: 1 },
    });
    await runner.start();
    try {
      expect(await runner.waitForPosition(await engine.eventStore.headPosition())).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(await getDailyAnalytics(engine.sql, HISTORY_RANGE)).toEqual(history.expectedDays);
  });

  it('writes the same rows one event at a time as in one batch', async () => {
    await migrate(engine.sql, `projection:${analyticsProjection.name}`, analyticsProjection.migrations);
    await emptyTables();
    const history = await appendAnalyticsHistory(engine.eventStore);
    const streams = new Set(Object.values(history.conversations).map((id) => `conversation-${id}`));
    const events = (await engine.eventStore.readAll({ fromPosition: 0n, maxCount: 1000 })).filter(
      (event) => streams.has(event.stream) && analyticsProjection.eventTypes.includes(event.type),
    );

    await engine.sql.transaction((tx) => analyticsProjection.applyBatch!(tx, events));
    const batched = await tableContents();
    await emptyTables();
    for (const event of events) await engine.sql.transaction((tx) => analyticsProjection.apply(tx, event));

    expect(await tableContents()).toEqual(batched);
    expect(batched.analytics_first_replies).toHaveLength(8);
    expect(await getDailyAnalytics(engine.sql, HISTORY_RANGE)).toEqual(history.expectedDays);
  });
});
