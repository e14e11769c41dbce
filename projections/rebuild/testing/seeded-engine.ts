import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../../infra/sql/sql-client.js';
import type { Projection } from '../../projection.js';
import { ProjectionRunner } from '../../runner/projection-runner.js';
import { openTestEngine, type EngineName, type TestEngine } from '../../testing/test-engine.js';
import { seedChatLog } from './chat-log.js';

/** Events of chat in the log a rebuild case starts from. */
export const SEEDED_EVENTS = 3_000;
/** Generous: rebuild cases replay the log several times, and the machine may be busy. */
export const SLOW = 240_000;

const members = [randomUUID(), randomUUID(), randomUUID()];

/**
 * Where a rebuild case starts: an engine whose log holds a seeded chat, and a
 * live runner of `projections` started and caught up with it.
 */
export async function openSeededEngine(
  engineName: EngineName,
  databaseName: string,
  projections: readonly Projection[],
): Promise<{ engine: TestEngine; runner: ProjectionRunner }> {
  const engine = await openTestEngine(engineName, databaseName);
  const runner = new ProjectionRunner({ sql: engine.sql, eventStore: engine.eventStore, projections });
  try {
    await seedChatLog(engine.eventStore, { events: SEEDED_EVENTS, members, perConversation: 500 });
    await runner.start();
    if (!(await runner.waitForPosition(await engine.eventStore.headPosition(), SLOW)))
      throw new Error(`the runner did not catch up with the seeded log within ${SLOW} ms`);
    return { engine, runner };
  } catch (error) {
    await runner.stop();
    await engine.close();
    throw error;
  }
}

/**
 * Writers keep appending small batches of chat while `work` runs, then one more
 * after it; resolves to what `work` resolves to. Bounded at 50 batches, so that a
 * slow machine does not pile up more than the live runner can take.
 */
export async function appendingDuring<T>(eventStore: EventStore, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  for (let appended = 0; !settled && appended < 50; appended++)
    await seedChatLog(eventStore, { events: 40, members, perConversation: 40, seed: appended });
  const result = await done;
  await seedChatLog(eventStore, { events: 40, members, perConversation: 40, seed: 99 });
  return result;
}

/** The version a projection's checkpoint row says its tables (or index) are. */
export async function storedVersion(db: SqlExecutor, name: string): Promise<number> {
  const [row] = await db.query<{ version: number }>(
    'select version from projection_checkpoints where name = $1',
    [name],
  );
  return row!.version;
}
