import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSql, sqlEngines } from '../../infra/sql/testing/sql-engines.js';
import type { JsonValue, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { getUser, searchUsers } from '../../readmodels/users/users.query.js';
import { usersProjection } from './users.projection.js';

let position = 0n;
function recorded(stream: string, type: string, data: JsonValue): RecordedEvent {
  position += 1n;
  return {
    stream,
    revision: 0,
    position,
    id: randomUUID(),
    type,
    data,
    metadata: { schemaVersion: 1 },
    createdAt: new Date(),
  };
}

describe.each(sqlEngines)('the users projection and its queries (%s)', (engine) => {
  let sql: SqlClient;
  let close: () => Promise<void>;

  const apply = (event: RecordedEvent) => sql.transaction((tx) => usersProjection.apply(tx, event));
  async function register(username: string, displayName: string, registeredAt = '2025-01-02T03:04:05.000Z') {
    const userId = randomUUID();
    await apply(
      recorded(`user-${userId}`, 'UserRegistered', { userId, username, displayName, registeredAt }),
    );
    return userId;
  }

  beforeAll(async () => {
    ({ sql, close } = await openTestSql(engine, 'users'));
    await migrate(sql, 'projection:users', usersProjection.migrations);
  });
  afterAll(async () => {
    await close?.();
  });

  it('creates the tables again without harm', async () => {
    await expect(migrate(sql, 'another-component', usersProjection.migrations)).resolves.toBeUndefined();
  });

  it('adds a registered user, and applying the event twice changes nothing', async () => {
    const userId = randomUUID();
    const event = recorded(`user-${userId}`, 'UserRegistered', {
      userId,
      username: 'grace',
      displayName: 'Grace Hopper',
      registeredAt: '2025-01-02T03:04:05.000Z',
    });
    await apply(event);
    await apply(event);
    await expect(getUser(sql, userId)).resolves.toEqual({
      id: userId,
      username: 'grace',
      displayName: 'Grace Hopper',
      createdAt: '2025-01-02T03:04:05.000Z',
    });
  });

  it("changes the display name of the stream's user", async () => {
    const userId = await register('alan', 'Alan');
    await apply(
      recorded(`user-${userId}`, 'UserProfileUpdated', {
        displayName: 'Alan Turing',
        updatedAt: '2025-02-01T00:00:00.000Z',
      }),
    );
    await expect(getUser(sql, userId)).resolves.toMatchObject({
      username: 'alan',
      displayName: 'Alan Turing',
    });
  });

  it('ignores events of other streams and types', async () => {
    await expect(
      apply(recorded(`conversation-${randomUUID()}`, 'MessageSent', { anything: true })),
    ).resolves.toBeUndefined();
  });

  it('answers no user for an unknown or malformed id', async () => {
    await expect(getUser(sql, randomUUID())).resolves.toBeUndefined();
    await expect(getUser(sql, 'not-a-uuid')).resolves.toBeUndefined();
  });

  describe('searching', () => {
    beforeAll(async () => {
      await register('zed_one', 'Zebra Crossing');
      await register('zed1', 'Quiet Person');
      await register('zeta', 'Zed%Literal');
      await register('yolanda', 'ZED head');
    });

    it('matches the start of a username or display name, ignoring case, ordered by username', async () => {
      const found = await searchUsers(sql, 'ZED');
      expect(found.map((user) => user.username)).toEqual(['yolanda', 'zed1', 'zed_one', 'zeta']);
    });

    it('matches LIKE wildcards literally', async () => {
      expect((await searchUsers(sql, 'zed_')).map((user) => user.username)).toEqual(['zed_one']);
      expect((await searchUsers(sql, 'zed%')).map((user) => user.username)).toEqual(['zeta']);
      await expect(searchUsers(sql, '%')).resolves.toEqual([]);
    });

    it('does not match the middle of a name', async () => {
      await expect(searchUsers(sql, 'crossing')).resolves.toEqual([]);
    });

    it('lists everyone by username for an empty query, within the limit', async () => {
      const all = await searchUsers(sql, '');
      expect(all.map((user) => user.username)).toEqual([...all.map((user) => user.username)].sort());
      expect(await searchUsers(sql, '', 2)).toHaveLength(2);
    });

    it('keeps the limit between 1 and 100', async () => {
      for (let i = 0; i < 101; i += 1) await register(`many${String(i).padStart(3, '0')}`, 'Many');
      await expect(searchUsers(sql, 'many', 1000)).resolves.toHaveLength(100);
      await expect(searchUsers(sql, 'many')).resolves.toHaveLength(20);
      await expect(searchUsers(sql, 'many', 0)).resolves.toHaveLength(1);
    });
  });
});
