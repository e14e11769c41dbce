import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../domain/errors.js';
import { SqlAccountStore } from '../../infra/accounts/account-store.js';
import { accountsMigrations } from '../../infra/accounts/accounts.schema.js';
import type { EventStore, EventToAppend } from '../../infra/eventstore/event-store.js';
import { SqlEventStore } from '../../infra/eventstore/sql/sql-event-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createPgliteClient } from '../../infra/sql/pglite.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { usersProjection } from '../../projections/users/users.projection.js';
import { createMeQuery, type GetMe } from './me.query.js';

describe('the Me query', () => {
  let sql: SqlClient;
  let eventStore: EventStore;
  let accounts: SqlAccountStore;
  let getMe: GetMe;

  beforeAll(async () => {
    sql = await createPgliteClient({ dataDir: 'memory://' });
    eventStore = await SqlEventStore.open(sql);
    await migrate(sql, 'accounts', accountsMigrations);
    await migrate(sql, 'projection:users', usersProjection.migrations);
    accounts = new SqlAccountStore(sql);
    getMe = createMeQuery({ sql, accounts, eventStore });
  });
  afterAll(async () => {
    await eventStore?.close();
    await sql?.close();
  });

  async function userWithHistory(username: string) {
    const userId = randomUUID();
    await accounts.create({ userId, email: `${username}@example.org`, username, passwordHash: 'x' });
    const events: EventToAppend[] = [
      {
        id: randomUUID(),
        type: 'UserRegistered',
        data: { userId, username, displayName: 'First Name', registeredAt: '2025-01-01T00:00:00.000Z' },
        metadata: { schemaVersion: 1 },
      },
      {
        id: randomUUID(),
        type: 'UserProfileUpdated',
        data: { displayName: 'Second Name', updatedAt: '2025-01-02T00:00:00.000Z' },
        metadata: { schemaVersion: 1 },
      },
    ];
    const recorded = await eventStore.appendToStream(`user-${userId}`, events);
    return { userId, position: recorded.position };
  }

  it("answers from the user's stream while the read model has no row for them", async () => {
    const { userId } = await userWithHistory('early');
    await expect(getMe(userId)).resolves.toEqual({
      id: userId,
      username: 'early',
      displayName: 'Second Name',
      createdAt: '2025-01-01T00:00:00.000Z',
      email: 'early@example.org',
    });
  });

  it('answers from the read model once the projection has the user', async () => {
    const { userId } = await userWithHistory('projected');
    for (const event of await eventStore.readStream(`user-${userId}`)) {
      await sql.transaction((tx) => usersProjection.apply(tx, event));
    }
    // A change only the read model has shows which source answered.
    await sql.query("update users set display_name = 'From The Read Model' where id = $1", [userId]);
    await expect(getMe(userId)).resolves.toMatchObject({ displayName: 'From The Read Model' });
  });

  it('answers not found for a user without an account', async () => {
    await expect(getMe(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });
});
