import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDecodingError } from '../../domain/event-upcasting.js';
import { InvalidStreamNameError } from '../../infra/eventstore/event-store.errors.js';
import type { EventStore, EventToAppend, JsonObject } from '../../infra/eventstore/event-store.js';
import { openPostgresEventStore } from '../../infra/eventstore/open-event-store.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { loadUser, toEventToAppend, userStreamName } from './user-stream.js';

const at = '2025-05-01T10:00:00.000Z';

describe("a user's stream", () => {
  let database: { url: string; drop(): Promise<void> };
  let eventStore: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase('user_stream');
    eventStore = await openPostgresEventStore(database.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await eventStore?.close();
    await database?.drop();
  });

  const registeredEvent = (userId: string, metadata: JsonObject = { schemaVersion: 1 }): EventToAppend => ({
    id: randomUUID(),
    type: 'UserRegistered',
    data: { userId, username: 'ada', displayName: 'Ada', registeredAt: at },
    metadata,
  });
  const renamedEvent = (displayName: string): EventToAppend => ({
    id: randomUUID(),
    type: 'UserProfileUpdated',
    data: { displayName, updatedAt: at },
    metadata: { schemaVersion: 1 },
  });

  it('is named user-<id>', () => {
    expect(userStreamName('abc')).toBe('user-abc');
  });

  describe('loading', () => {
    it('finds no user and no stream for an id never written', async () => {
      await expect(loadUser(eventStore, randomUUID())).resolves.toStrictEqual({
        state: { exists: false },
        revision: 'no_stream',
      });
    });

    it('folds every event and answers the revision of the last one', async () => {
      const userId = randomUUID();
      await eventStore.appendToStream(userStreamName(userId), [
        registeredEvent(userId),
        renamedEvent('Ada L'),
        renamedEvent('Ada Lovelace'),
      ]);
      await expect(loadUser(eventStore, userId)).resolves.toStrictEqual({
        state: { exists: true, userId, username: 'ada', displayName: 'Ada Lovelace' },
        revision: 2,
      });
    });

    it('reads past the default page of a thousand events', async () => {
      const userId = randomUUID();
      const renames = Array.from({ length: 1_001 }, (_, index) => renamedEvent(`Ada ${index}`));
      await eventStore.appendToStream(userStreamName(userId), [registeredEvent(userId), ...renames]);
      await expect(loadUser(eventStore, userId)).resolves.toMatchObject({
        state: { displayName: 'Ada 1000' },
        revision: 1_001,
      });
    });

    it('reads an event stored without a schema version as version 1', async () => {
      const userId = randomUUID();
      await eventStore.appendToStream(userStreamName(userId), [registeredEvent(userId, {})]);
      await expect(loadUser(eventStore, userId)).resolves.toMatchObject({ state: { exists: true } });
    });

    it('takes a schema version that is not a number for version 1', async () => {
      const userId = randomUUID();
      await eventStore.appendToStream(userStreamName(userId), [
        registeredEvent(userId, { schemaVersion: '7' }),
      ]);
      await expect(loadUser(eventStore, userId)).resolves.toMatchObject({ state: { exists: true } });
    });

    it('refuses an event written at a newer schema version than this build reads', async () => {
      const userId = randomUUID();
      await eventStore.appendToStream(userStreamName(userId), [
        registeredEvent(userId, { schemaVersion: 2 }),
      ]);
      await expect(loadUser(eventStore, userId)).rejects.toThrow(
        new EventDecodingError('UserRegistered v2 cannot be read as v1'),
      );
    });

    it('refuses a stream holding an event that is not about a user', async () => {
      const userId = randomUUID();
      const stream = userStreamName(userId);
      await eventStore.appendToStream(stream, [
        registeredEvent(userId),
        {
          id: randomUUID(),
          type: 'ReadMarkerMoved',
          data: { conversationId: randomUUID(), userId, seq: 1, at },
          metadata: { schemaVersion: 1 },
        },
      ]);
      await expect(loadUser(eventStore, userId)).rejects.toThrow(
        new Error(`ReadMarkerMoved does not belong in ${stream}`),
      );
    });

    it('passes on a read failure other than a missing stream', async () => {
      await expect(loadUser(eventStore, 'not a valid id')).rejects.toBeInstanceOf(InvalidStreamNameError);
    });
  });

  describe('encoding an event to append', () => {
    const updated = { type: 'UserProfileUpdated', data: { displayName: 'Ada', updatedAt: at } } as const;

    it('gives it a fresh id, its schema version, the actor and the correlation id', () => {
      const first = toEventToAppend(updated, { actorId: 'ada', correlationId: 'request-1' });
      const second = toEventToAppend(updated, { actorId: 'ada' });
      expect(first).toStrictEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'UserProfileUpdated',
        data: updated.data,
        metadata: { schemaVersion: 1, actorId: 'ada', correlationId: 'request-1' },
      });
      expect(second.id).not.toBe(first.id);
    });

    it('leaves out a missing or empty correlation id', () => {
      expect(toEventToAppend(updated, { actorId: 'ada' }).metadata).toStrictEqual({
        schemaVersion: 1,
        actorId: 'ada',
      });
      expect(toEventToAppend(updated, { actorId: 'ada', correlationId: '' }).metadata).toStrictEqual({
        schemaVersion: 1,
        actorId: 'ada',
      });
    });
  });
});
