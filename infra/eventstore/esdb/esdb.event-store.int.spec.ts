import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import { describe } from 'vitest';
import { describeEventStoreConformance } from '../event-store.conformance.js';
import { openEsdbEventStore } from './esdb.event-store.js';

interface Target {
  url: string;
  stop(): Promise<void>;
}

const RUNTIME_CHECK_MS = 5_000;

/**
 * Decided while the file is collected, so that without an engine every test is
 * reported SKIPPED (never passed) and the reason is printed once.
 */
async function findEventStoreDb(): Promise<Target | { skipped: string }> {
  const url = process.env.ESDB_URL;
  if (url) return { url, stop: () => Promise.resolve() };
  try {
    await withTimeout(getContainerRuntimeClient(), RUNTIME_CHECK_MS);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120);
    return { skipped: reason };
  }
  // Started here, not in the suite's beforeAll, whose timeout a first image pull would exceed.
  const container = await new GenericContainer('eventstore/eventstore:24.10')
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_MEM_DB: 'true',
    })
    .withExposedPorts(2113)
    // Live is not enough: appends fail until the single node has elected itself leader.
    .withWaitStrategy(
      Wait.forAll([Wait.forHttp('/health/live', 2113).forStatusCode(204), Wait.forLogMessage(/IS LEADER/)]),
    )
    .withStartupTimeout(180_000)
    .start();
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
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

const target = await findEventStoreDb();
if ('skipped' in target) {
  process.stdout.write(
    `EventStoreDB conformance suite skipped: ESDB_URL is not set and no Docker engine was found (${target.skipped})\n`,
  );
}

describe.skipIf('skipped' in target)('EventStoreDB engine', () => {
  describeEventStoreConformance('esdb', () => {
    if ('skipped' in target) throw new Error('unreachable: the suite is skipped');
    return Promise.resolve({
      // ESDB's writer cannot be paused mid-append; the suite pauses between appends instead.
      canHoldTransactions: false,
      singleProcess: false,
      open: () => openEsdbEventStore(target.url),
      // Every case writes streams of its own; only a container this file started needs removing.
      cleanup: () => target.stop(),
    });
  });
});
