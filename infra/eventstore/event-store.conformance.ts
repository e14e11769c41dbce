import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuplicateEventIdError,
  EventTooLargeError,
  InvalidEventError,
  InvalidStreamNameError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from './event-store.errors.js';
import type {
  EventStore,
  EventToAppend,
  RecordedEvent,
  Subscription,
  SubscriptionStart,
} from './event-store.js';
import { waitFor } from '../../test/support/wait-for.js';

/** What the suite needs from an engine. */
export interface EventStoreHarness {
  /** Opens a store on the engine's database; several may be open at once (except where `singleProcess`). */
  open(options?: { holdInsideTransactionMs?: () => number }): Promise<EventStore>;
  /** Embedded engines: one store per database, so "another process" is the same store. */
  singleProcess?: boolean;
  /** Whether `holdInsideTransactionMs` works (writers can pause inside their transactions). */
  canHoldTransactions: boolean;
  /** Drops whatever the engine created. */
  cleanup(): Promise<void>;
}

function event(type = 'Tested', data: EventToAppend['data'] = {}): EventToAppend {
  return { id: randomUUID(), type, data, metadata: { correlationId: randomUUID() } };
}

function events(count: number, type = 'Tested'): EventToAppend[] {
  return Array.from({ length: count }, (_, index) => event(type, { index }));
}

/** A stream prefix no other test uses, so `$all` reads can filter down to one test's events. */
function uniquePrefix(label: string): string {
  return `${label}${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
}

/** Collects what a subscription delivers in the background. */
function collect(subscription: Subscription): { received: RecordedEvent[]; done: Promise<void> } {
  const received: RecordedEvent[] = [];
  const done = (async () => {
    for await (const recorded of subscription) received.push(recorded);
  })();
  return { received, done };
}

/**
 * The event store contract, run against every engine that is reachable. Every
 * case uses streams of its own, so cases do not see each other's events.
 */
export function describeEventStoreConformance(
  engineName: string,
  makeHarness: () => Promise<EventStoreHarness>,
): void {
  describe(`event store conformance: ${engineName}`, () => {
    let harness: EventStoreHarness;
    let store: EventStore;

    beforeAll(async () => {
      harness = await makeHarness();
      store = await harness.open();
    });

    afterAll(async () => {
      await store?.close();
      await harness?.cleanup();
    });

    describe('append with an expected revision', () => {
      it('no_stream creates a stream whose revisions start at 0', async () => {
        const stream = `${uniquePrefix('c')}1`;
        const result = await store.appendToStream(stream, events(3), { expectedRevision: 'no_stream' });
        expect(result.nextRevision).toBe(2);
        expect(result.duplicate).toBe(false);
        const read = await store.readStream(stream);
        expect(read.map((recorded) => recorded.revision)).toEqual([0, 1, 2]);
        expect(read[2]!.position).toBe(result.position);
        expect(read[0]!.position < read[1]!.position && read[1]!.position < read[2]!.position).toBe(true);
      });

      it('no_stream on an existing stream fails with the actual revision', async () => {
        const stream = `${uniquePrefix('c')}1`;
        await store.appendToStream(stream, events(2));
        const error = await store
          .appendToStream(stream, events(1), { expectedRevision: 'no_stream' })
          .catch((error: unknown) => error);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(1);
      });

      it('stream_exists on a missing stream fails with no_stream, and passes once it exists', async () => {
        const stream = `${uniquePrefix('c')}1`;
        const error = await store
          .appendToStream(stream, events(1), { expectedRevision: 'stream_exists' })
          .catch((error: unknown) => error);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe('no_stream');
        await store.appendToStream(stream, events(1));
        const result = await store.appendToStream(stream, events(1), { expectedRevision: 'stream_exists' });
        expect(result.nextRevision).toBe(1);
      });

      it('an exact revision passes when it is the last one and fails otherwise', async () => {
        const stream = `${uniquePrefix('c')}1`;
        await store.appendToStream(stream, events(3));
        await expect(store.appendToStream(stream, events(1), { expectedRevision: 2 })).resolves.toMatchObject(
          {
            nextRevision: 3,
          },
        );
        const error = await store
          .appendToStream(stream, events(1), { expectedRevision: 2 })
          .catch((error: unknown) => error);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(3);
        const missing = await store
          .appendToStream(`${uniquePrefix('c')}2`, events(1), { expectedRevision: 0 })
          .catch((error: unknown) => error);
        expect((missing as WrongExpectedVersionError).actual).toBe('no_stream');
      });

      it('any always appends', async () => {
        const stream = `${uniquePrefix('c')}1`;
        await store.appendToStream(stream, events(1), { expectedRevision: 'any' });
        const result = await store.appendToStream(stream, events(1), { expectedRevision: 'any' });
        expect(result.nextRevision).toBe(1);
      });

      it('of two writers racing for the same revision exactly one wins, every time', async () => {
        for (let round = 0; round < 20; round++) {
          const stream = `${uniquePrefix('race')}1`;
          await store.appendToStream(stream, events(1));
          const racers = await Promise.allSettled([
            store.appendToStream(stream, events(1), { expectedRevision: 0 }),
            store.appendToStream(stream, events(1), { expectedRevision: 0 }),
          ]);
          expect(racers.filter((racer) => racer.status === 'fulfilled')).toHaveLength(1);
          const loser = racers.find((racer) => racer.status === 'rejected');
          expect(loser?.reason).toBeInstanceOf(WrongExpectedVersionError);
          expect((await store.readStream(stream)).length).toBe(2);
        }
      });

      it('a failed expectation writes nothing', async () => {
        const stream = `${uniquePrefix('c')}1`;
        await store.appendToStream(stream, events(1));
        await store.appendToStream(stream, events(5), { expectedRevision: 7 }).catch(() => undefined);
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });

    describe('idempotent appends', () => {
      it('re-appending the same event ids returns the original result and writes nothing', async () => {
        const stream = `${uniquePrefix('idem')}1`;
        const batch = events(3);
        const first = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, events(1));
        const again = await store.appendToStream(stream, batch, { expectedRevision: 'no_stream' });
        expect(again).toEqual({ ...first, duplicate: true });
        expect(await store.readStream(stream)).toHaveLength(4);
      });

      it('concurrent retries of one append store it once', async () => {
        const stream = `${uniquePrefix('idem')}1`;
        const batch = events(2);
        const results = await Promise.all(
          Array.from({ length: 5 }, () => store.appendToStream(stream, batch)),
        );
        expect(new Set(results.map((result) => result.position))).toHaveProperty('size', 1);
        expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('ids written before but not as this append are rejected', async () => {
        const stream = `${uniquePrefix('idem')}1`;
        const batch = events(2);
        await store.appendToStream(stream, batch);
        await expect(store.appendToStream(stream, [batch[0]!, event()])).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        await expect(store.appendToStream(`${uniquePrefix('idem')}2`, batch)).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('reading a stream', () => {
      it('pages forwards and backwards from a revision', async () => {
        const stream = `${uniquePrefix('read')}1`;
        await store.appendToStream(stream, events(10));
        const forwards = await store.readStream(stream, { fromRevision: 3, maxCount: 4 });
        expect(forwards.map((recorded) => recorded.revision)).toEqual([3, 4, 5, 6]);
        const backwards = await store.readStream(stream, {
          direction: 'backwards',
          fromRevision: 5,
          maxCount: 3,
        });
        expect(backwards.map((recorded) => recorded.revision)).toEqual([5, 4, 3]);
        const newest = await store.readStream(stream, { direction: 'backwards', maxCount: 2 });
        expect(newest.map((recorded) => recorded.revision)).toEqual([9, 8]);
        expect(await store.readStream(stream, { fromRevision: 10 })).toEqual([]);
      });

      it('returns what was written: ids, types, data, metadata, times', async () => {
        const stream = `${uniquePrefix('read')}1`;
        const written = event('MessageSent', { body: 'héllo 👋🏽 مرحبا', nested: { list: [1, null, true] } });
        const before = Date.now();
        await store.appendToStream(stream, [written]);
        const [recorded] = await store.readStream(stream);
        expect(recorded).toMatchObject({
          stream,
          revision: 0,
          id: written.id,
          type: 'MessageSent',
          data: written.data,
          metadata: written.metadata,
        });
        expect(Math.abs(recorded!.createdAt.getTime() - before)).toBeLessThan(60_000);
      });

      it('keeps every character of several events appended together: quotes, backslashes, control characters', async () => {
        const stream = `${uniquePrefix('chars')}1`;
        const awkward = 'say "hi"\\n \\ \u0000\u0001\u0002\t\r\n,{}; \u007f \u2028 end';
        const written = [
          event('MessageSent', { body: awkward, list: [awkward, '', '\u0001'] }),
          { ...event('MessageSent', { body: '' }), metadata: { note: awkward } },
          event('MessageSent', {}),
        ];
        await store.appendToStream(stream, written);
        const recorded = await store.readStream(stream);
        expect(recorded.map(({ id, data, metadata }) => ({ id, data, metadata }))).toEqual(
          written.map(({ id, data, metadata }) => ({ id, data, metadata })),
        );
      });

      it('a stream with no events is not found', async () => {
        await expect(store.readStream(`${uniquePrefix('none')}1`)).rejects.toBeInstanceOf(
          StreamNotFoundError,
        );
      });
    });

    describe('bad input', () => {
      it('rejects bad stream names', async () => {
        for (const name of ['', '$all', '$ce-x', 'has space', 'tab\there', 'x'.repeat(201)]) {
          await expect(store.appendToStream(name, events(1))).rejects.toBeInstanceOf(InvalidStreamNameError);
        }
        await expect(store.readStream('$all')).rejects.toBeInstanceOf(InvalidStreamNameError);
      });

      it('rejects an oversized event and writes nothing', async () => {
        const stream = `${uniquePrefix('big')}1`;
        const huge = event('Huge', { blob: 'x'.repeat(1024 * 1024) });
        await expect(store.appendToStream(stream, [event(), huge])).rejects.toBeInstanceOf(
          EventTooLargeError,
        );
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
      });

      it('rejects malformed events', async () => {
        const stream = `${uniquePrefix('bad')}1`;
        const twice = event();
        const cases: EventToAppend[][] = [
          [{ ...event(), id: 'not-a-uuid' }],
          [{ ...event(), type: '' }],
          [twice, twice],
        ];
        for (const batch of cases) {
          await expect(store.appendToStream(stream, batch)).rejects.toBeInstanceOf(InvalidEventError);
        }
      });
    });

    describe('reading $all', () => {
      it('filters by stream prefix and by event type, both ways', async () => {
        const prefix = uniquePrefix('all');
        await store.appendToStream(`${prefix}a`, [event('A'), event('B')]);
        await store.appendToStream(`${prefix}b`, [event('A')]);
        await store.appendToStream(`${uniquePrefix('other')}x`, [event('A')]);
        const byPrefix = await store.readAll({ filter: { streamPrefixes: [prefix] } });
        expect(
          byPrefix.map((recorded) => `${recorded.stream.slice(prefix.length)}:${recorded.type}`),
        ).toEqual(['a:A', 'a:B', 'b:A']);
        const byType = await store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['A'] } });
        expect(byType.map((recorded) => recorded.stream.slice(prefix.length))).toEqual(['a', 'b']);
        const backwards = await store.readAll({
          direction: 'backwards',
          filter: { streamPrefixes: [prefix] },
        });
        expect(backwards.map((recorded) => recorded.position)).toEqual(
          byPrefix.map((recorded) => recorded.position).reverse(),
        );
        const fromSecond = await store.readAll({
          fromPosition: byPrefix[1]!.position,
          maxCount: 1,
          filter: { streamPrefixes: [prefix] },
        });
        expect(fromSecond.map((recorded) => recorded.id)).toEqual([byPrefix[1]!.id]);
      });

      it('is in strictly increasing position order', async () => {
        const prefix = uniquePrefix('order');
        await Promise.all(
          Array.from({ length: 10 }, (_, index) => store.appendToStream(`${prefix}${index}`, events(3))),
        );
        const all = await store.readAll({ filter: { streamPrefixes: [prefix] } });
        expect(all).toHaveLength(30);
        for (let index = 1; index < all.length; index++) {
          expect(all[index]!.position > all[index - 1]!.position).toBe(true);
        }
      });
    });

    describe('subscribing to $all', () => {
      it('catches up from the start, then keeps receiving live events, until stopped', async () => {
        const prefix = uniquePrefix('sub');
        await store.appendToStream(`${prefix}1`, events(5));
        const subscription = store.subscribeToAll({ from: 'start', filter: { streamPrefixes: [prefix] } });
        const { received, done } = collect(subscription);
        await waitFor('catch-up', () => received.length === 5);
        await store.appendToStream(`${prefix}2`, events(3));
        await waitFor('live events', () => received.length === 8);
        await subscription.stop();
        await done;
        await store.appendToStream(`${prefix}3`, events(1));
        expect(received).toHaveLength(8);
        expect(received.map((recorded) => recorded.stream.slice(prefix.length))).toEqual([
          ...Array<string>(5).fill('1'),
          ...Array<string>(3).fill('2'),
        ]);
      });

      it('from the end receives only what is appended afterwards', async () => {
        const prefix = uniquePrefix('end');
        await store.appendToStream(`${prefix}old`, events(3));
        const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefixes: [prefix] } });
        const { received, done } = collect(subscription);
        await store.readAll({ maxCount: 1 }); // let the subscription settle its starting point
        await waitFor('subscription to start', async () => {
          await store.appendToStream(`${prefix}probe`, [event('Probe')]);
          return received.length > 0;
        });
        await subscription.stop();
        await done;
        expect(received.every((recorded) => recorded.stream === `${prefix}probe`)).toBe(true);
      });

      it('resumes from a saved position with nothing missed or repeated', async () => {
        const prefix = uniquePrefix('resume');
        const filter = { streamPrefixes: [prefix] };
        await store.appendToStream(`${prefix}1`, events(6));
        const first = store.subscribeToAll({ from: 'start', filter });
        const seen: RecordedEvent[] = [];
        for await (const recorded of first) {
          seen.push(recorded);
          if (seen.length === 4) break;
        }
        await first.stop();
        await store.appendToStream(`${prefix}2`, events(4));
        const saved: SubscriptionStart = { after: seen[seen.length - 1]!.position };
        const second = store.subscribeToAll({ from: saved, filter });
        const { received, done } = collect(second);
        await waitFor('the rest', () => received.length >= 6);
        await second.stop();
        await done;
        const ids = [...seen, ...received].map((recorded) => recorded.id);
        expect(ids).toHaveLength(10);
        expect(new Set(ids).size).toBe(10);
        const all = await store.readAll({ filter });
        expect(ids).toEqual(all.map((recorded) => recorded.id));
      });

      it('8 writers × 2,000 events, pausing inside their transactions: every subscriber sees each event once, in order', async () => {
        const prefix = uniquePrefix('load');
        const filter = { streamPrefixes: [prefix] };
        const perWriter = 2_000;
        const writerCount = 8;
        const fromStart = collect(store.subscribeToAll({ from: 'start', filter }));
        const fromEndSubscription = store.subscribeToAll({ from: 'end', filter });
        const fromEnd = collect(fromEndSubscription);
        // "end" is taken before any of this test's writes, so it must see everything too.
        await store.readAll({ maxCount: 1 });

        const hold = () => (Math.random() < 0.3 ? Math.floor(Math.random() * 4) : 0);
        const writers = harness.singleProcess
          ? Array.from({ length: writerCount }, () => store)
          : await Promise.all(
              Array.from({ length: writerCount }, () =>
                harness.open(harness.canHoldTransactions ? { holdInsideTransactionMs: hold } : {}),
              ),
            );
        try {
          await Promise.all(
            writers.map(async (writer, writerIndex) => {
              let written = 0;
              while (written < perWriter) {
                const size = Math.min(1 + Math.floor(Math.random() * 10), perWriter - written);
                const stream = `${prefix}w${writerIndex}-${Math.floor(Math.random() * 20)}`;
                if (!harness.canHoldTransactions && Math.random() < 0.3) {
                  await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
                }
                await writer.appendToStream(stream, events(size, `W${writerIndex}`));
                written += size;
              }
            }),
          );
        } finally {
          if (!harness.singleProcess) await Promise.all(writers.map((writer) => writer.close()));
        }

        const total = perWriter * writerCount;
        await waitFor(
          'both subscribers to see every event',
          () => fromStart.received.length >= total && fromEnd.received.length >= total,
          30_000,
        );
        const expected = await store.readAll({ filter, maxCount: 10_000 });
        const rest = await store.readAll({
          filter,
          maxCount: 10_000,
          fromPosition: expected[expected.length - 1]!.position + 1n,
        });
        const log = [...expected, ...rest].map((recorded) => recorded.id);
        expect(log).toHaveLength(total);
        for (const subscriber of [fromStart, fromEnd]) {
          expect(subscriber.received.map((recorded) => recorded.id)).toEqual(log);
        }
        await fromEndSubscription.stop();
        await fromEnd.done;
      });
    });

    describe('restart', () => {
      it('closing and reopening the store loses nothing, and appends go on where they stopped', async () => {
        const stream = `${uniquePrefix('restart')}1`;
        await store.appendToStream(stream, events(5));
        const head = await store.headPosition();
        await store.close();
        store = await harness.open();
        expect(await store.headPosition()).toBe(head);
        expect(await store.readStream(stream)).toHaveLength(5);
        const result = await store.appendToStream(stream, events(1), { expectedRevision: 4 });
        expect(result.nextRevision).toBe(5);
        expect(result.position > head).toBe(true);
      });
    });
  });
}
