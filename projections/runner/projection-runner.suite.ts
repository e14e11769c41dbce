import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventToAppend, JsonObject, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { createMetrics } from '../../infra/metrics/metrics.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { waitFor } from '../../test/support/wait-for.js';
import type { Projection } from '../projection.js';
import { openTestEngine, type EngineName, type TestEngine } from '../testing/test-engine.js';
import { readLowestCheckpoint } from './checkpoint-watcher.js';
import { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner.js';

/** A projection that records each event it applies, and how often it was tried. */
interface Recorder extends Projection {
  /** position → calls of `apply`, failed ones included. */
  readonly tries: Map<bigint, number>;
}

type Hook = (tx: SqlExecutor, event: RecordedEvent, tries: number) => Promise<void>;

/**
 * Inserts one row per applied event into `runner_applied`, which has no key on
 * purpose: an event applied twice shows as two rows. `hook` runs after the insert,
 * so a hook that throws proves the insert was rolled back with it.
 */
function recorder(name: string, eventTypes: string[], hook?: Hook): Recorder {
  const tries = new Map<bigint, number>();
  return {
    name,
    version: 1,
    eventTypes,
    tries,
    migrations: [
      {
        id: '001-applied',
        sql: 'create table if not exists runner_applied (projection text not null, position bigint not null)',
      },
    ],
    async apply(tx, event) {
      const count = (tries.get(event.position) ?? 0) + 1;
      tries.set(event.position, count);
      await tx.query('insert into runner_applied (projection, position) values ($1, $2::bigint)', [
        name,
        event.position.toString(),
      ]);
      await hook?.(tx, event, count);
    },
  };
}

const unique = (label: string) => `${label}_${randomUUID().slice(0, 8)}`;

/**
 * The runner's contract, run against each SQL engine. Cases share one database
 * (and its log), so each uses projections and event types of its own: a runner
 * reads the whole log, but only a case's own events reach its projections.
 */
export function describeProjectionRunner(engineName: EngineName): void {
  describe(`projection runner: ${engineName}`, () => {
    let engine: TestEngine;
    const runners: ProjectionRunner[] = [];

    beforeAll(async () => {
      engine = await openTestEngine(engineName, 'runner');
    });

    // A case's runners would otherwise keep reading every later case's events.
    afterEach(async () => {
      for (const runner of runners.splice(0)) await runner.stop();
    });

    afterAll(async () => {
      await engine?.close();
    });

    function runner(projections: Projection[], options: Partial<ProjectionRunnerOptions> = {}) {
      const created = new ProjectionRunner({
        sql: engine.sql,
        eventStore: engine.eventStore,
        projections,
        retry: { baseDelayMs: 1 },
        ...options,
      });
      runners.push(created);
      return created;
    }

    /** Appends `count` events of `type` in appends of `perAppend`, over a few streams; resolves to the last position. */
    async function append(
      type: string,
      count: number,
      perAppend = 100,
      data: (index: number) => JsonObject = (index) => ({ index }),
    ): Promise<bigint> {
      let last = 0n;
      for (let offset = 0; offset < count; offset += perAppend) {
        const events: EventToAppend[] = [];
        for (let index = offset; index < Math.min(count, offset + perAppend); index += 1)
          events.push({ id: randomUUID(), type, data: data(index) });
        const stream = `runner-${randomUUID()}`;
        last = (await engine.eventStore.appendToStream(stream, events)).position;
      }
      return last;
    }

    async function applied(projection: string): Promise<bigint[]> {
      const rows = await engine.sql.query<{ position: string | number }>(
        'select position from runner_applied where projection = $1 order by position',
        [projection],
      );
      return rows.map((row) => BigInt(row.position));
    }

    /** What a projection of these types must hold: every such event of the log, once, in order. */
    async function replayFromScratch(types: string[]): Promise<bigint[]> {
      const events = await engine.eventStore.readAll({ filter: { eventTypes: types }, maxCount: 10_000 });
      return events.map((event) => event.position);
    }

    async function storedCheckpoint(name: string): Promise<bigint> {
      const rows = await engine.sql.query<{ position: string | number }>(
        'select position from projection_checkpoints where name = $1',
        [name],
      );
      return BigInt(rows[0]?.position ?? -1);
    }

    describe('checkpoints', () => {
      it('a runner stopped midway and started again applies every event exactly once', async () => {
        const type = unique('Counted');
        const name = unique('counted');
        await append(type, 1_200);
        await append(unique('Ignored'), 150);
        let stopping: Promise<void> | undefined;
        let calls = 0;
        // Stop from inside a batch, as a shutdown signal would arrive while one is in flight.
        const stopAt600: Hook = async () => {
          calls += 1;
          if (!stopping && calls >= 600) stopping = first.stop();
        };
        const first = runner([recorder(name, [type], stopAt600)], { batchSize: 100 });
        await first.start();
        await waitFor('the first runner to stop', () => stopping !== undefined);
        await stopping;

        const checkpoint = await storedCheckpoint(name);
        const halfway = await applied(name);
        expect(halfway.length).toBeGreaterThanOrEqual(600);
        expect(halfway.length).toBeLessThan(1_200);
        // Writes and checkpoint committed together: exactly the events up to the checkpoint.
        expect(halfway).toEqual(
          (await replayFromScratch([type])).filter((position) => position <= checkpoint),
        );

        const head = await append(type, 300);
        const second = runner([recorder(name, [type])], { batchSize: 100 });
        await second.start();
        expect(await second.waitForPosition(head)).toBe(true);
        expect(await applied(name)).toEqual(await replayFromScratch([type]));
      });

      it('a connection lost in the middle of a batch rolls the batch back and is retried, never parked', async () => {
        const type = unique('Interrupted');
        const name = unique('interrupted');
        await append(type, 400, 400);
        let losses = 0;
        // More losses than attempts: were they counted as failures, the event would be parked.
        const loseTheConnectionThrice: Hook = async (tx, event, tries) => {
          if (event.data !== null && (event.data as JsonObject).index === 250 && tries <= 3) {
            losses += 1;
            await engine.loseConnection(tx);
          }
        };
        const running = runner([recorder(name, [type], loseTheConnectionThrice)], {
          retry: { attempts: 2, baseDelayMs: 1 },
        });
        await running.start();
        expect(await running.waitForPosition(await engine.eventStore.headPosition(), 20_000)).toBe(true);

        expect(losses).toBe(3);
        expect(await applied(name)).toEqual(await replayFromScratch([type]));
        const [status] = await running.status();
        expect(status?.parked).toBe(0);
      });

      it('a projection added later catches up from the start while the others go on from their checkpoints', async () => {
        const type = unique('Shared');
        const early = unique('early');
        const late = unique('late');
        await append(type, 300);
        const first = runner([recorder(early, [type])]);
        await first.start();
        expect(await first.waitForPosition(await engine.eventStore.headPosition())).toBe(true);
        await first.stop();

        const head = await append(type, 200);
        const second = runner([recorder(early, [type]), recorder(late, [type])]);
        await second.start();
        expect(await second.waitForPosition(head)).toBe(true);
        const expected = await replayFromScratch([type]);
        expect(await applied(early)).toEqual(expected);
        expect(await applied(late)).toEqual(expected);
      });

      it('two runners on one database never apply an event twice', async () => {
        const type = unique('Contended');
        const name = unique('contended');
        const one = runner([recorder(name, [type])], { batchSize: 50 });
        const other = runner([recorder(name, [type])], { batchSize: 50 });
        await Promise.all([one.start(), other.start()]);
        const head = await append(type, 600, 50);
        expect(await one.waitForPosition(head, 20_000)).toBe(true);
        expect(await other.waitForPosition(head, 20_000)).toBe(true);
        expect(await applied(name)).toEqual(await replayFromScratch([type]));
      });
    });

    describe('batches', () => {
      it('fill up to the batch size while the runner is behind, whatever the size', async () => {
        const type = unique('Batched');
        await append(type, 3_000, 500);
        const sizes: number[] = [];
        const batched: Projection = {
          name: unique('batched'),
          version: 1,
          eventTypes: [type],
          migrations: [],
          apply: () => Promise.resolve(),
          // Slow enough for the feed to read ahead of it, as under load.
          applyBatch: async (_tx, events) => {
            sizes.push(events.length);
            await new Promise((resolve) => setTimeout(resolve, 250));
          },
        };
        const behind = runner([batched], { batchSize: 1_200 });
        await behind.start();
        await waitFor('all 3,000 events', () => sizes.reduce((sum, size) => sum + size, 0) >= 3_000);
        expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(3_000);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(1_200);
        // PGlite is one connection: the feed cannot read while a batch's transaction
        // holds it, so there a batch is what one page brought. On a server it reads on.
        if (engineName === 'postgres') expect(Math.max(...sizes)).toBe(1_200);
      });
    });

    describe('an event a projection keeps failing on', () => {
      it('is retried, parked with its error while the others and later events flow, and replays after the fix', async () => {
        const type = unique('Fragile');
        const fragileName = unique('fragile');
        const steadyName = unique('steady');
        let fixed = false;
        const failOnPoison: Hook = async (_tx, event) => {
          if (!fixed && (event.data as JsonObject).poison === true)
            throw new Error('cannot digest the poison');
        };
        const fragile = recorder(fragileName, [type], failOnPoison);
        const steady = recorder(steadyName, [type]);
        const metrics = createMetrics();
        const running = runner([fragile, steady], { retry: { attempts: 4, baseDelayMs: 1 }, metrics });
        await running.start();

        const head = await append(type, 5, 5, (index) => ({ index, poison: index === 2 }));
        expect(await running.waitForPosition(head)).toBe(true);
        const all = await replayFromScratch([type]);
        const poison = all[2]!;
        // The fragile one retries on its own, then parks the poison and catches up.
        await waitFor('the poison to be parked and the rest applied', async () =>
          (await running.status()).some(
            (status) =>
              status.name === fragileName && status.parked === 1 && BigInt(status.checkpoint) >= head,
          ),
        );
        expect(fragile.tries.get(poison)).toBe(4);
        expect(await applied(fragileName)).toEqual(all.filter((position) => position !== poison));
        expect(await applied(steadyName)).toEqual(all);

        const parked = await engine.sql.query<Record<string, unknown>>(
          'select projection, position, event_type, error, attempts from projection_parked where projection = $1',
          [fragileName],
        );
        expect(parked).toHaveLength(1);
        expect(BigInt(parked[0]!.position as string)).toBe(poison);
        expect(parked[0]).toMatchObject({ event_type: type, attempts: 4 });
        expect(parked[0]!.error).toContain('cannot digest the poison');
        const statuses = await running.status();
        expect(statuses.find((status) => status.name === fragileName)?.parked).toBe(1);
        expect(statuses.find((status) => status.name === steadyName)?.parked).toBe(0);
        await waitFor('the parked gauge', async () => {
          const gauge = await metrics.projectionParked.get();
          return gauge.values.some((value) => value.labels.projection === fragileName && value.value === 1);
        });

        const later = await append(type, 1);
        expect(await running.waitForPosition(later)).toBe(true);
        expect(await applied(fragileName)).toContain(later);

        fixed = true;
        expect(await running.replayParked(fragileName)).toBe(1);
        expect(await applied(fragileName)).toEqual(await replayFromScratch([type]));
        const left = await engine.sql.query('select 1 from projection_parked where projection = $1', [
          fragileName,
        ]);
        expect(left).toHaveLength(0);
      });

      it('holds back only the projection that fails: the others and the reads waiting on them go on', async () => {
        const type = unique('Choking');
        const chokingName = unique('choking');
        const steadyName = unique('steady');
        let fixed = false;
        const choking = recorder(chokingName, [type], async (_tx, event) => {
          if (!fixed && (event.data as JsonObject).poison === true) throw new Error('choked');
        });
        const steady = recorder(steadyName, [type]);
        // Its next try is a minute away: a runner that waited for it would time out below.
        const running = runner([choking, steady], { retry: { attempts: 3, baseDelayMs: 60_000 } });
        await running.start();

        const poisonAt = await append(type, 1, 1, () => ({ poison: true }));
        const head = await append(type, 3);
        expect(await running.waitForPosition(head, 10_000)).toBe(true);
        expect(await applied(steadyName)).toEqual(await replayFromScratch([type]));
        expect(await applied(chokingName)).toEqual([]);
        // Its batch, then the event alone: two tries, and the third is a minute away.
        expect(choking.tries.get(poisonAt)).toBe(2);
        // Another process waiting on the checkpoints does not wait for it either.
        expect(await readLowestCheckpoint(engine.sql, [chokingName, steadyName])).toBeGreaterThanOrEqual(
          head,
        );
        await running.stop();

        // Started again with the fix, it applies everything once, in order, and serves again.
        fixed = true;
        const restarted = runner([choking, steady]);
        await restarted.start();
        expect(await restarted.waitForPosition(head)).toBe(true);
        expect(await applied(chokingName)).toEqual(await replayFromScratch([type]));
        expect(await readLowestCheckpoint(engine.sql, [chokingName, steadyName])).toBeGreaterThanOrEqual(
          head,
        );
        await restarted.stop();
      });

      it('is tried at most 10 times, whatever the configuration asks', async () => {
        const type = unique('Hopeless');
        const name = unique('hopeless');
        const hopeless = recorder(name, [type], () => Promise.reject(new Error('never works')));
        const running = runner([hopeless], { retry: { attempts: 50, baseDelayMs: 1 } });
        await running.start();
        const head = await append(type, 1);
        expect(await running.waitForPosition(head, 20_000)).toBe(true);
        expect(hopeless.tries.get(head)).toBe(10);
        expect(await running.replayParked(name)).toBe(0);
        const [row] = await engine.sql.query<{ attempts: number }>(
          'select attempts from projection_parked where projection = $1',
          [name],
        );
        expect(row?.attempts).toBe(11);
      });

      it('shows as catching up while retried, and stop() does not wait out the backoff', async () => {
        const type = unique('Stuck');
        const name = unique('stuck');
        const stuck = recorder(name, [type], () => Promise.reject(new Error('still failing')));
        const running = runner([stuck], { retry: { attempts: 10, baseDelayMs: 60_000 } });
        await running.start();
        const head = await append(type, 1);
        await waitFor('the first retry', () => (stuck.tries.get(head) ?? 0) >= 2);

        const [status] = await running.status();
        expect(status).toMatchObject({ name, status: 'catching_up', parked: 0 });
        expect(status!.lagEvents).toBeGreaterThan(0);
        expect(status!.lagSeconds).toBeGreaterThanOrEqual(0);

        const stopping = Date.now();
        await running.stop();
        expect(Date.now() - stopping).toBeLessThan(5_000);
        expect((await running.status())[0]?.status).toBe('stopped');
      });
    });

    describe('a batch that fails on one event', () => {
      const size = 64;
      const failOnPoison: Hook = async (_tx, event) => {
        if ((event.data as JsonObject).poison === true) throw new Error('cannot digest the poison');
      };

      /** Moves the projections' checkpoints to the head: the events appended next reach a new runner as one batch. */
      async function catchUpToHead(projections: Projection[]): Promise<void> {
        const first = runner(projections);
        await first.start();
        expect(await first.waitForPosition(await engine.eventStore.headPosition())).toBe(true);
        await first.stop();
      }

      /** Appends `size` events with the poison in the middle, starts a runner and waits for the poison to be parked. */
      async function runPastPoison(projection: Projection): Promise<{ all: bigint[]; poison: bigint }> {
        await catchUpToHead([projection]);
        const head = await append(projection.eventTypes[0]!, size, size, (index) => ({
          index,
          poison: index === size / 2,
        }));
        const running = runner([projection], { retry: { attempts: 2, baseDelayMs: 1 } });
        await running.start();
        await waitFor('the poison to be parked and the rest applied', async () =>
          (await running.status()).some((status) => status.parked === 1 && BigInt(status.checkpoint) >= head),
        );
        const all = await replayFromScratch([...projection.eventTypes]);
        return { all, poison: all[size / 2]! };
      }

      async function parkedEvents(projection: string): Promise<{ position: bigint; attempts: number }[]> {
        const rows = await engine.sql.query<{ position: string | number; attempts: number }>(
          'select position, attempts from projection_parked where projection = $1',
          [projection],
        );
        return rows.map((row) => ({ position: BigInt(row.position), attempts: row.attempts }));
      }

      it('is halved until the event is alone when the failure does not name it: a few transactions, not one per event', async () => {
        const name = unique('halved');
        const inner = recorder(name, [unique('Halved')], failOnPoison);
        /** One entry per transaction the projection took part in: how many events it was given. */
        const transactions: number[] = [];
        const halved: Projection = {
          ...inner,
          apply: (tx, event) => {
            transactions.push(1);
            return inner.apply(tx, event);
          },
          // Throws the poison's own error: nothing tells the runner which event failed.
          async applyBatch(tx, events) {
            transactions.push(events.length);
            for (const event of events) await inner.apply(tx, event);
          },
        };

        const { all, poison } = await runPastPoison(halved);
        // The premise: all of them arrived as one batch.
        expect(transactions[0]).toBe(size);
        // Each halving costs the half that fails and its sibling; a few more for the poison's
        // own tries and the events the held-back projection catches up on. One by one: 36.
        expect(transactions.length).toBeLessThanOrEqual(2 * Math.log2(size) + 4);
        expect(await applied(name)).toEqual(all.filter((position) => position !== poison));
        expect(await parkedEvents(name)).toEqual([{ position: poison, attempts: 2 }]);
      });

      it('is cut around the event a failure names, which is then tried alone', async () => {
        const name = unique('named');
        const transactions = new Set<string>();
        const named = recorder(name, [unique('Named')], async (tx, event) => {
          const [row] = await tx.query<{ id: string }>('select txid_current()::text as id');
          transactions.add(row!.id);
          await failOnPoison(tx, event, 0);
        });

        const { all, poison } = await runPastPoison(named);
        // The batch, the events before the poison, the poison alone (its second try: parked),
        // the events after it. One by one: 65.
        expect(transactions.size).toBeLessThanOrEqual(4);
        expect(named.tries.get(poison)).toBe(2);
        expect(await applied(name)).toEqual(all.filter((position) => position !== poison));
        expect(await parkedEvents(name)).toEqual([{ position: poison, attempts: 2 }]);
      });
    });

    describe('waitForPosition', () => {
      it('resolves true as soon as the write is visible', async () => {
        const type = unique('Awaited');
        const name = unique('awaited');
        const running = runner([recorder(name, [type])]);
        await running.start();
        expect(await running.waitForPosition(await engine.eventStore.headPosition())).toBe(true);

        // Positions are contiguous on the SQL engines: the next append lands at head + 1.
        const waiting = running.waitForPosition((await engine.eventStore.headPosition()) + 1n);
        const written = await append(type, 1);
        expect(await waiting).toBe(true);
        expect(await applied(name)).toEqual([written]);
        expect(await running.waitForPosition(written, 0)).toBe(true);
      });

      it('called before start, resolves once the stored checkpoints are found to cover the position', async () => {
        const type = unique('Covered');
        const name = unique('covered');
        const head = await append(type, 3);
        const first = runner([recorder(name, [type])]);
        await first.start();
        expect(await first.waitForPosition(head)).toBe(true);
        await first.stop();

        const second = runner([recorder(name, [type])]);
        const waiting = second.waitForPosition(head, 2_000);
        await second.start();
        expect(await waiting).toBe(true);
      });

      it('resolves false when the position is not reached in time, or the runner stops', async () => {
        const running = runner([recorder(unique('idle'), [unique('Never')])]);
        await running.start();
        const beyond = (await engine.eventStore.headPosition()) + 1_000n;
        const started = Date.now();
        expect(await running.waitForPosition(beyond, 100)).toBe(false);
        expect(Date.now() - started).toBeGreaterThanOrEqual(90);

        const waiting = running.waitForPosition(beyond, 60_000);
        await running.stop();
        expect(await waiting).toBe(false);
      });
    });

    describe('notifications', () => {
      it('a batch NOTIFYs its last position within its own commit, and says so to onCommitted', async () => {
        const type = unique('Announced');
        const channel = unique('runner_notices');
        const heard: string[] = [];
        const unlisten = await engine.sql.listen(channel, (payload) => {
          if (payload !== null) heard.push(payload);
        });
        const commits: { lowest: bigint; notified: boolean }[] = [];
        try {
          const announcing = runner([recorder(unique('announced'), [type])], {
            notifyChannel: channel,
            onCommitted: (lowest, notified) => commits.push({ lowest, notified }),
          });
          await announcing.start();
          const head = await append(type, 50, 50);
          expect(await announcing.waitForPosition(head)).toBe(true);
          await waitFor('the notification of the batch that reached the head', () =>
            heard.includes(head.toString()),
          );
          expect(commits).toContainEqual({ lowest: head, notified: true });
        } finally {
          await unlisten();
        }
      });

      it('without a channel, batches NOTIFY nothing and onCommitted is told so', async () => {
        const type = unique('Quiet');
        const commits: boolean[] = [];
        const quiet = runner([recorder(unique('quiet'), [type])], {
          onCommitted: (_lowest, notified) => commits.push(notified),
        });
        await quiet.start();
        const head = await append(type, 20, 20);
        expect(await quiet.waitForPosition(head)).toBe(true);
        expect(commits.length).toBeGreaterThan(0);
        expect(commits.every((notified) => !notified)).toBe(true);
      });
    });

    describe('status and metrics', () => {
      it('reports the lag of a stopped runner, and none once it has caught up', async () => {
        const type = unique('Lagging');
        const name = unique('lagging');
        const metrics = createMetrics();
        await append(type, 10);
        const first = runner([recorder(name, [type])]);
        await first.start();
        expect(await first.waitForPosition(await engine.eventStore.headPosition())).toBe(true);
        await first.stop();

        const head = await append(type, 7);
        const second = runner([recorder(name, [type])]);
        const [stopped] = await second.status();
        expect(stopped).toMatchObject({ name, version: 1, status: 'stopped', lagEvents: 7, parked: 0 });
        expect(stopped!.lagSeconds).toBeGreaterThanOrEqual(0);
        expect(BigInt(stopped!.checkpoint)).toBe(head - 7n);

        const third = runner([recorder(name, [type])], { metrics });
        await third.start();
        expect(await third.waitForPosition(head)).toBe(true);
        const [caughtUp] = await third.status();
        expect(caughtUp).toMatchObject({ name, status: 'running', lagEvents: 0, lagSeconds: 0 });
        expect(caughtUp!.checkpoint).toBe(head.toString());
        await waitFor('the lag gauge at 0', async () => {
          const gauge = await metrics.projectionLagEvents.get();
          return gauge.values.some((value) => value.labels.projection === name && value.value === 0);
        });
      });
    });
  });
}
