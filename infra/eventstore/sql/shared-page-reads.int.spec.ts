import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../event-store.js';
import { openPostgresEventStore } from '../open-event-store.js';
import { createTestDatabase } from '../../../test/support/postgres.js';

const eventFor = (body: string) => ({ id: randomUUID(), type: 'Noted', data: { body }, metadata: {} });

describe('subscriptions woken together share one read (postgres)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase('shared_page_reads');
    store = await openPostgresEventStore(database.url, { poolSize: 4 });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('answers subscriptions asking for the same page in one turn with the same events, then keeps each live', async () => {
    const stream = `notes-${randomUUID()}`;
    await store.appendToStream(stream, [eventFor('first')]);
    const subscriptions = [0, 1].map(() => store.subscribeToAll({ from: 'start' }));
    const iterators = subscriptions.map((subscription) => subscription[Symbol.asyncIterator]());
    try {
      const [a, b] = (await Promise.all(iterators.map((iterator) => iterator.next()))).map(
        (result) => result.value as RecordedEvent,
      );
      expect(a!.data).toEqual({ body: 'first' });
      // One query answered both: they hold the very same object.
      expect(a).toBe(b);

      // Sharing never costs a wake-up: both still see what is appended next.
      const next = Promise.all(iterators.map((iterator) => iterator.next()));
      await store.appendToStream(stream, [eventFor('second')]);
      const bodies = (await next).map((result) => (result.value as RecordedEvent).data);
      expect(bodies).toEqual([{ body: 'second' }, { body: 'second' }]);
    } finally {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    }
  });

  it('does not share between subscriptions with different filters', async () => {
    const stream = `filtered-${randomUUID()}`;
    await store.appendToStream(stream, [eventFor('only')]);
    const subscriptions = [undefined, { streamPrefixes: ['filtered-'] }].map((filter) =>
      store.subscribeToAll({ from: 'start', ...(filter ? { filter } : {}) }),
    );
    const iterators = subscriptions.map((subscription) => subscription[Symbol.asyncIterator]());
    try {
      const [unfiltered, filtered] = await Promise.all(iterators.map((iterator) => iterator.next()));
      expect((filtered!.value as RecordedEvent).stream).toBe(stream);
      expect(unfiltered!.value).not.toBe(filtered!.value);
    } finally {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    }
  });
});
