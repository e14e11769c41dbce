import { openTestEngine, type EngineName } from '../../../projections/testing/test-engine.js';
import { describeMessageSearchConformance } from '../message-search-index.conformance.js';
import { openPostgresSearchIndex } from './postgres.search-index.js';

for (const engineName of ['postgres', 'pglite'] satisfies EngineName[]) {
  describeMessageSearchConformance(`PostgreSQL full text on ${engineName}`, async () => {
    const engine = await openTestEngine(engineName, 'search');
    const index = await openPostgresSearchIndex(engine.sql);
    return {
      engine,
      index,
      async close() {
        await index.close();
        await engine.close();
      },
    };
  });
}
