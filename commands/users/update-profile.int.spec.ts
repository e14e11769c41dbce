import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { userDecider } from '../../domain/user/user.decider.js';
import { initialState } from '../../domain/user/user.state.js';
import { StreamNotFoundError, WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { openPostgresEventStore } from '../../infra/eventstore/open-event-store.js';
import { createLogger } from '../../infra/logging/logger.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { WaitForPosition } from './read-your-writes.js';
import { handleUpdateProfile } from './update-profile.handler.js';
import { toEventToAppend, userStreamName } from './user-stream.js';

const now = new Date('2025-05-01T10:00:00.000Z');

describe('updating a profile', () => {
  let database: { url: string; drop(): Promise<void> };
  let eventStore: EventStore;

  // The test server rather than PGlite: an embedded database takes seconds to start, once per mutant.
  beforeAll(async () => {
    database = await createTestDatabase('update_profile');
    eventStore = await openPostgresEventStore(database.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await eventStore?.close();
    await database?.drop();
  });

  async function registered(displayName = 'Ada'): Promise<string> {
    const userId = randomUUID();
    const events = userDecider.decide(
      { type: 'RegisterUser', data: { userId, username: `u${userId.slice(0, 8)}`, displayName } },
      initialState(),
      { now },
    );
    await eventStore.appendToStream(
      userStreamName(userId),
      events.map((event) => toEventToAppend(event, { actorId: userId })),
      { expectedRevision: 'no_stream' },
    );
    return userId;
  }

  /** The real store with its append replaced, to stand for another writer or a lost connection. */
  function withAppend(appendToStream: EventStore['appendToStream']): EventStore {
    return {
      engine: eventStore.engine,
      appendToStream,
      readStream: (stream, options) => eventStore.readStream(stream, options),
      readAll: (options) => eventStore.readAll(options),
      subscribeToAll: (options) => eventStore.subscribeToAll(options),
      headPosition: () => eventStore.headPosition(),
      close: async () => undefined,
    };
  }

  const streamOf = (userId: string): Promise<RecordedEvent[]> =>
    eventStore.readStream(userStreamName(userId));

  /** The handler over `store`, recording what it asked the projections to wait for and what it logged. */
  function updater(store: EventStore = eventStore, caughtUp = true) {
    const waits: [bigint, number | undefined][] = [];
    const logged: Record<string, unknown>[] = [];
    const waitForPosition: WaitForPosition = async (position, timeoutMs) => {
      waits.push([position, timeoutMs]);
      return caughtUp;
    };
    const update = handleUpdateProfile({
      eventStore: store,
      clock: () => now,
      waitForPosition,
      logger: createLogger('info', { write: (line: string) => logged.push(JSON.parse(line)) }),
    });
    return { update, waits, logged };
  }

  /**
   * The store, with another writer renaming the user just before each of our first
   * `times` appends to a user stream: a real concurrent write, so a real conflict.
   */
  function withRivalWriter(times: number, rivalName: string) {
    let appends = 0;
    const store = withAppend(async (stream, events, options) => {
      appends += 1;
      if (appends <= times) {
        await eventStore.appendToStream(stream, [
          {
            id: randomUUID(),
            type: 'UserProfileUpdated',
            data: { displayName: rivalName, updatedAt: now.toISOString() },
            metadata: { schemaVersion: 1, actorId: 'rival' },
          },
        ]);
      }
      return eventStore.appendToStream(stream, events, options);
    });
    return { store, appends: () => appends };
  }

  describe('when the name changes', () => {
    it('stores one UserProfileUpdated with the audit fields and answers the new profile', async () => {
      const userId = await registered('Ada');
      const { update } = updater();
      const profile = await update({ userId, displayName: '  Ada Lovelace ' }, 'request-7');
      expect(profile).toStrictEqual({
        exists: true,
        userId,
        username: `u${userId.slice(0, 8)}`,
        displayName: 'Ada Lovelace',
      });
      const stream = await streamOf(userId);
      expect(stream).toHaveLength(2);
      expect(stream[1]).toMatchObject({
        revision: 1,
        type: 'UserProfileUpdated',
        data: { displayName: 'Ada Lovelace', updatedAt: now.toISOString() },
      });
      expect(stream[1]!.metadata).toStrictEqual({
        schemaVersion: 1,
        actorId: userId,
        correlationId: 'request-7',
      });
    });

    it('leaves the correlation id out of the metadata when the request had none', async () => {
      const userId = await registered();
      await updater().update({ userId, displayName: 'Grace' });
      await updater().update({ userId, displayName: 'Grace H' }, '');
      const stream = await streamOf(userId);
      expect(stream.map((event) => event.metadata)).toStrictEqual([
        { schemaVersion: 1, actorId: userId },
        { schemaVersion: 1, actorId: userId },
        { schemaVersion: 1, actorId: userId },
      ]);
    });

    it('answers once the read models reached the position of the event written', async () => {
      const userId = await registered();
      const { update, waits, logged } = updater();
      await update({ userId, displayName: 'Grace' });
      const [, written] = await streamOf(userId);
      expect(waits).toEqual([[written!.position, 5_000]]);
      expect(logged).toEqual([]);
    });

    it('still answers the new profile when the read models lag, and says so in the log', async () => {
      const userId = await registered();
      const { update, logged } = updater(eventStore, false);
      await expect(update({ userId, displayName: 'Grace' })).resolves.toMatchObject({ displayName: 'Grace' });
      const [, written] = await streamOf(userId);
      expect(logged).toMatchObject([{ level: 40, position: written!.position.toString(), timeoutMs: 5_000 }]);
    });

    it('builds on every update before it', async () => {
      const userId = await registered();
      await updater().update({ userId, displayName: 'One' });
      await updater().update({ userId, displayName: 'Two' });
      await expect(updater().update({ userId })).resolves.toMatchObject({ displayName: 'Two' });
      expect((await streamOf(userId)).map((event) => event.revision)).toEqual([0, 1, 2]);
    });
  });

  describe('when nothing changes', () => {
    it('answers the current profile without writing or waiting when no name is given', async () => {
      const userId = await registered('Ada');
      const { update, waits } = updater();
      await expect(update({ userId })).resolves.toStrictEqual({
        exists: true,
        userId,
        username: `u${userId.slice(0, 8)}`,
        displayName: 'Ada',
      });
      expect(await streamOf(userId)).toHaveLength(1);
      expect(waits).toEqual([]);
    });

    it('writes nothing for the same name once trimmed', async () => {
      const userId = await registered('Ada');
      const { update, waits } = updater();
      await expect(update({ userId, displayName: ' Ada ' })).resolves.toMatchObject({ displayName: 'Ada' });
      expect(await streamOf(userId)).toHaveLength(1);
      expect(waits).toEqual([]);
    });
  });

  describe('when refused', () => {
    it('answers not found for a user who never registered, and creates no stream', async () => {
      const userId = randomUUID();
      const { update, waits } = updater();
      const refusal = update({ userId, displayName: 'Ghost' });
      await expect(refusal).rejects.toBeInstanceOf(NotFoundError);
      await expect(refusal).rejects.toThrow('user not found');
      await expect(update({ userId })).rejects.toBeInstanceOf(NotFoundError);
      await expect(streamOf(userId)).rejects.toBeInstanceOf(StreamNotFoundError);
      expect(waits).toEqual([]);
    });

    it('refuses a blank display name on the displayName field and stores nothing', async () => {
      const userId = await registered();
      const refusal = updater().update({ userId, displayName: '   ' });
      await expect(refusal).rejects.toBeInstanceOf(ValidationError);
      await expect(refusal).rejects.toMatchObject({ field: 'displayName' });
      expect(await streamOf(userId)).toHaveLength(1);
    });

    it('passes an append failure that is not a conflict on at once', async () => {
      const userId = await registered();
      let appends = 0;
      const failing = withAppend(async () => {
        appends += 1;
        throw new Error('connection lost');
      });
      await expect(updater(failing).update({ userId, displayName: 'Grace' })).rejects.toThrow(
        'connection lost',
      );
      expect(appends).toBe(1);
    });
  });

  describe('when another writer gets in first', () => {
    it('reloads and applies the change over theirs', async () => {
      const userId = await registered('Ada');
      const rival = withRivalWriter(2, 'Rival');
      const { update, waits } = updater(rival.store);
      await expect(update({ userId, displayName: 'Grace' })).resolves.toMatchObject({ displayName: 'Grace' });
      expect(rival.appends()).toBe(3);
      const stream = await streamOf(userId);
      expect(stream.map((event) => (event.data as { displayName: string }).displayName)).toEqual([
        'Ada',
        'Rival',
        'Rival',
        'Grace',
      ]);
      expect(waits).toEqual([[stream[3]!.position, 5_000]]);
    });

    it('writes nothing when the other writer already set the same name', async () => {
      const userId = await registered('Ada');
      const rival = withRivalWriter(1, 'Grace');
      const { update, waits } = updater(rival.store);
      await expect(update({ userId, displayName: 'Grace' })).resolves.toMatchObject({ displayName: 'Grace' });
      expect(rival.appends()).toBe(1);
      expect(await streamOf(userId)).toHaveLength(2);
      expect(waits).toEqual([]);
    });

    it('gives up after three conflicting attempts with the conflict', async () => {
      const userId = await registered('Ada');
      const rival = withRivalWriter(3, 'Rival');
      const refusal = updater(rival.store).update({ userId, displayName: 'Grace' });
      await expect(refusal).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect(rival.appends()).toBe(3);
      const names = (await streamOf(userId)).map(
        (event) => (event.data as { displayName: string }).displayName,
      );
      expect(names).toEqual(['Ada', 'Rival', 'Rival', 'Rival']);
    });
  });
});
