import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventStore, EventToAppend } from '../infra/eventstore/event-store.js';
import { openPgliteEventStore, openPostgresEventStore } from '../infra/eventstore/open-event-store.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { report, round, summarize } from './stats.js';

interface Workload {
  name: string;
  writers: number;
  eventsPerAppend: number;
}

const WORKLOADS: Workload[] = [
  { name: 'single', writers: 1, eventsPerAppend: 1 },
  { name: 'concurrent16', writers: 16, eventsPerAppend: 1 },
  { name: 'batched100', writers: 16, eventsPerAppend: 100 },
];

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const WARMUP_MS = 1_000;

function messageEvent(index: number): EventToAppend {
  return {
    id: randomUUID(),
    type: 'MessageSent',
    data: { seq: index, body: 'a typical chat message of some sixty characters, give or take' },
    metadata: { correlationId: randomUUID(), schemaVersion: 1 },
  };
}

/** Each writer appends to its own stream, awaiting every append, for a fixed time. */
async function runAppends(store: EventStore, workload: Workload, durationMs: number) {
  const latencies: number[] = [];
  let appends = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workload.writers }, async () => {
      const stream = `bench-${randomUUID()}`;
      let revision = -1;
      while (performance.now() < deadline) {
        const batch = Array.from({ length: workload.eventsPerAppend }, (_, index) =>
          messageEvent(revision + index),
        );
        const before = performance.now();
        const result = await store.appendToStream(stream, batch, {
          expectedRevision: revision < 0 ? 'no_stream' : revision,
        });
        latencies.push(performance.now() - before);
        revision = result.nextRevision;
        appends += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { appends, seconds, latencies };
}

async function measure(engine: string, store: EventStore, workload: Workload): Promise<void> {
  await runAppends(store, workload, WARMUP_MS);
  const { appends, seconds, latencies } = await runAppends(store, workload, DURATION_MS);
  report({
    workload: workload.name,
    engine,
    writers: workload.writers,
    eventsPerAppend: workload.eventsPerAppend,
    appendsPerSec: round(appends / seconds, 0),
    eventsPerSec: round((appends * workload.eventsPerAppend) / seconds, 0),
    ...summarize(latencies),
  });
}

/**
 * Subscriber lag on an idle system: one append at a time, measured from the
 * append call to the event's arrival at a live subscription.
 */
async function measureLag(engine: string, store: EventStore): Promise<void> {
  const prefix = `lag-${randomUUID()}`;
  const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: [prefix] } });
  const arrivals = new Map<string, number>();
  const consumer = (async () => {
    for await (const event of subscription) arrivals.set(event.id, performance.now());
  })();
  const lags: number[] = [];
  for (let index = 0; index < 500; index++) {
    const event = messageEvent(index);
    const before = performance.now();
    await store.appendToStream(`${prefix}-s`, [event]);
    while (!arrivals.has(event.id)) await new Promise((resolve) => setImmediate(resolve));
    lags.push(arrivals.get(event.id)! - before);
    await new Promise((resolve) => setTimeout(resolve, 2)); // idle between events
  }
  await subscription.stop();
  await consumer;
  report({ workload: 'subscriberLag', engine, events: lags.length, ...summarize(lags) });
}

export async function benchEventStore(args: string[]): Promise<void> {
  const engines = args.length > 0 ? args : ['postgres', 'pglite'];
  for (const engine of engines) {
    if (engine === 'postgres') {
      const database = await createTestDatabase('bench');
      const store = await openPostgresEventStore(database.url, { poolSize: 8 });
      try {
        for (const workload of WORKLOADS) await measure(engine, store, workload);
        await measureLag(engine, store);
      } finally {
        await store.close();
        await database.drop();
      }
    } else if (engine === 'pglite') {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-bench-'));
      const store = await openPgliteEventStore(dataDir);
      try {
        for (const workload of WORKLOADS) await measure(engine, store, workload);
        await measureLag(engine, store);
      } finally {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    } else {
      throw new Error(`unknown engine ${engine}: use postgres or pglite`);
    }
  }
}
