import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { listParked, parkEvent } from '../runner/parked-events.js';
import type { ProjectionRunner } from '../runner/projection-runner.js';
import type { EngineName, TestEngine } from '../testing/test-engine.js';
import { startProjectionRebuild, type RebuildProgress } from './projection-rebuild.js';
import {
  appendingDuring,
  openSeededEngine,
  SEEDED_EVENTS,
  SLOW,
  storedVersion,
} from './testing/seeded-engine.js';
import {
  memoryTextsProjection,
  replayTexts,
  VersionedMemoryStore,
} from './testing/versioned-memory-store.js';

async function readLog(eventStore: EventStore, types: readonly string[]): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let from = 1n; ;) {
    const page = await eventStore.readAll({
      fromPosition: from,
      maxCount: 5_000,
      filter: { eventTypes: types },
    });
    events.push(...page);
    if (page.length < 5_000) return events;
    from = page[page.length - 1]!.position + 1n;
  }
}

/**
 * The rebuild of a projection that keeps its state outside SQL (the path the
 * Elasticsearch index takes), against each SQL engine, with an in-memory store
 * standing in for the index: the live runner projects and writers append meanwhile.
 */
export function describeExternalRebuild(engineName: EngineName): void {
  describe(`external projection rebuild: ${engineName}`, () => {
    let engine: TestEngine;
    let runner: ProjectionRunner;
    const store = new VersionedMemoryStore();
    const projection = memoryTextsProjection(store);

    beforeAll(async () => {
      ({ engine, runner } = await openSeededEngine(engineName, 'rebuild-external', [projection]));
    }, SLOW);

    afterAll(async () => {
      await runner?.stop();
      await engine?.close();
    });

    const caughtUpLog = async () => {
      const head = await engine.eventStore.headPosition();
      expect(await runner.waitForPosition(head, SLOW)).toBe(true);
      return readLog(engine.eventStore, projection.eventTypes);
    };

    it(
      'fills a new version while the runner keeps projecting, then promotes it equal to a fresh replay',
      async () => {
        const phases = new Set<RebuildProgress['phase']>();
        const rebuild = startProjectionRebuild({
          sql: engine.sql,
          eventStore: engine.eventStore,
          projection,
          toVersion: 2,
          onProgress: (progress) => phases.add(progress.phase),
        });
        const result = await appendingDuring(engine.eventStore, rebuild.done);

        const log = await caughtUpLog();
        expect(result.applied).toBeGreaterThan(SEEDED_EVENTS / 2);
        expect(phases).toContain('catching_up');
        expect(phases).toContain('switching');
        expect([...store.versions.keys()]).toEqual([store.liveVersion]);
        expect(store.liveVersion).toBe(2);
        expect(await storedVersion(engine.sql, projection.name)).toBe(2);
        expect(store.live).toEqual(replayTexts(log));
      },
      SLOW,
    );

    it(
      "parks for the new version the events it fails on, in place of the live version's parked events",
      async () => {
        const log = await caughtUpLog();
        const staleParked = log[0]!;
        const refused = log.find((event) => event.type === 'MessageEdited')!;
        await parkEvent(engine.sql, projection.name, staleParked, new Error('an old failure'), 8);
        store.refuse = (version, event) => version !== store.liveVersion && event.id === refused.id;
        try {
          const result = await startProjectionRebuild({
            sql: engine.sql,
            eventStore: engine.eventStore,
            projection,
            toVersion: 3,
          }).done;
          expect(result.parked).toBe(1);
        } finally {
          store.refuse = () => false;
        }
        const parked = await listParked(engine.sql, projection.name);
        expect(parked.map((event) => event.eventId)).toEqual([refused.id]);
        expect(store.live).toEqual(replayTexts(log.filter((event) => event.id !== refused.id)));
      },
      SLOW,
    );

    it(
      'drops the new version and leaves the live one when stopped',
      async () => {
        const live = store.liveVersion;
        const version = await storedVersion(engine.sql, projection.name);
        const abort = new AbortController();
        const rebuild = startProjectionRebuild({
          sql: engine.sql,
          eventStore: engine.eventStore,
          projection,
          toVersion: 9,
          signal: abort.signal,
          onProgress: (progress) => {
            if (progress.phase === 'catching_up' && progress.applied > 0) abort.abort();
          },
        });
        await expect(rebuild.done).rejects.toThrow(/stopped/);
        expect([...store.versions.keys()]).toEqual([live]);
        expect(store.liveVersion).toBe(live);
        expect(await storedVersion(engine.sql, projection.name)).toBe(version);
      },
      SLOW,
    );

    it(
      'fails without promoting a new version that refuses everything, as when its store is away',
      async () => {
        await caughtUpLog();
        const live = store.liveVersion;
        const texts = new Map(store.live);
        const version = await storedVersion(engine.sql, projection.name);
        store.refuse = (target) => target !== store.liveVersion;
        try {
          const rebuild = startProjectionRebuild({
            sql: engine.sql,
            eventStore: engine.eventStore,
            projection,
            toVersion: 10,
          });
          await expect(rebuild.done).rejects.toThrow(/refused every event/);
        } finally {
          store.refuse = () => false;
        }
        expect([...store.versions.keys()]).toEqual([live]);
        expect(store.liveVersion).toBe(live);
        expect(await storedVersion(engine.sql, projection.name)).toBe(version);
        expect(store.live).toEqual(texts);
      },
      SLOW,
    );
  });
}
