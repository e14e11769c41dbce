import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../domain/errors.js';
import { SqlAccountStore } from '../../infra/accounts/account-store.js';
import { accountsMigrations } from '../../infra/accounts/accounts.schema.js';
import { createScryptPasswordHasher } from '../../infra/accounts/password-hasher.js';
import { SqlRefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import { SqlEventStore } from '../../infra/eventstore/sql/sql-event-store.js';
import { createLogger } from '../../infra/logging/logger.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createPgliteClient } from '../../infra/sql/pglite.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { handleRegisterAccount } from './register-account.handler.js';
import { createSessions } from './sessions.handler.js';

describe('registering an account', () => {
  let sql: SqlClient;
  let eventStore: EventStore;
  let accounts: SqlAccountStore;
  const logger = createLogger('silent');

  beforeAll(async () => {
    sql = await createPgliteClient({ dataDir: 'memory://' });
    eventStore = await SqlEventStore.open(sql);
    await migrate(sql, 'accounts', accountsMigrations);
    accounts = new SqlAccountStore(sql);
  });
  afterAll(async () => {
    await eventStore?.close();
    await sql?.close();
  });

  function register(newUserId: () => string) {
    return handleRegisterAccount({
      accounts,
      hasher: createScryptPasswordHasher({ log2N: 4 }),
      eventStore,
      sessions: createSessions({
        refreshTokens: new SqlRefreshTokenStore(sql, { ttlSeconds: 60 }),
        signAccessToken: (owner) => `access-token-for-${owner.userId}`,
        accessTokenTtlSeconds: 60,
        logger,
      }),
      waitForPosition: async () => true,
      clock: () => new Date('2025-05-01T00:00:00.000Z'),
      newUserId,
      logger,
    });
  }

  const command = {
    email: 'grace@example.org',
    username: 'grace',
    password: 'long enough',
    displayName: 'Grace',
  };

  it('removes the account again when the event cannot be appended, so a retry succeeds', async () => {
    // A stream already at this id makes the `no_stream` append fail, as a real conflict would.
    const unlucky = randomUUID();
    await eventStore.appendToStream(`user-${unlucky}`, [
      { id: randomUUID(), type: 'UserRegistered', data: {} },
    ]);
    await expect(register(() => unlucky)(command)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(accounts.findByEmail('grace@example.org')).resolves.toBeUndefined();

    const retried = await register(randomUUID)(command, 'request-1');
    expect(retried.profile).toEqual({
      userId: expect.any(String),
      username: 'grace',
      displayName: 'Grace',
      registeredAt: '2025-05-01T00:00:00.000Z',
    });
    expect(retried.tokens).toMatchObject({
      accessToken: `access-token-for-${retried.profile.userId}`,
      expiresIn: 60,
    });
    await expect(accounts.findByEmail('grace@example.org')).resolves.toMatchObject({
      userId: retried.profile.userId,
    });
  });

  it('writes no event when the email is taken', async () => {
    const userId = randomUUID();
    await expect(register(() => userId)({ ...command, username: 'grace2' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(eventStore.readStream(`user-${userId}`)).rejects.toThrow('not found');
  });
});
