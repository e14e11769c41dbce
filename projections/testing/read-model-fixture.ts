import type { DomainEvent } from '../../domain/events.registry.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { chatProjections } from '../index.js';
import { ProjectionRunner } from '../runner/projection-runner.js';
import { appendDomainEvents } from './domain-events.js';
import { openTestEngine, type EngineName, type TestEngine } from './test-engine.js';

/** An engine with the chat projections running on it, for tests of the read models' queries. */
export interface ReadModelFixture {
  engine: TestEngine;
  /** Where the queries read. */
  db: SqlClient;
  runner: ProjectionRunner;
  /** Appends to `stream` and resolves once every projection has applied the events (read-your-writes). */
  append(stream: string, events: readonly DomainEvent[]): Promise<void>;
  close(): Promise<void>;
}

export async function openReadModelFixture(engineName: EngineName, label: string): Promise<ReadModelFixture> {
  const engine = await openTestEngine(engineName, label);
  const runner = new ProjectionRunner({
    sql: engine.sql,
    eventStore: engine.eventStore,
    projections: chatProjections,
    // A projection bug should fail the test fast, not after minutes of backoff.
    retry: { attempts: 1, baseDelayMs: 1 },
  });
  await runner.start();
  return {
    engine,
    db: engine.sql,
    runner,
    async append(stream, events) {
      const { position } = await appendDomainEvents(engine.eventStore, stream, events);
      if (!(await runner.waitForPosition(position))) throw new Error(`projections did not reach ${position}`);
      const parked = await engine.sql.query<{ error: string }>('select error from projection_parked');
      if (parked.length > 0) throw new Error(`an event was parked: ${parked[0]!.error}`);
    },
    async close() {
      await runner.stop();
      await engine.close();
    },
  };
}
