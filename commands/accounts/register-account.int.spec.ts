import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../domain/errors.js';
import { SqlRefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import { SqlEventStore } from '../../infra/eventstore/sql/sql-event-store.js';
import { READ_YOUR_WRITES_TIMEOUT_MS } from '../users/read-your-writes.js';
import { handleRegisterAccount, type RegisterAccountDeps } from './register-account.handler.js';
import { createSessions } from './sessions.handler.js';
import {
  captureLogs,
  cheapHasher,
  countingHasher,
  LOG_LEVEL,
  openAccountsDb,
  type AccountsDb,
  type HasherCalls,
  type LogEntry,
} from './testing/accounts-kit.js';

describe('registering an account', () => {
  let db: AccountsDb;
  let eventStore: EventStore;
  let logs: LogEntry[];
  let calls: HasherCalls;
  let waits: { position: bigint; timeoutMs: number | undefined }[];
  let baseDeps: RegisterAccountDeps;

  beforeAll(async () => {
    // The test PostgreSQL rather than PGlite: a PGlite start costs seconds, paid again for every mutant.
    db = await openAccountsDb();
    eventStore = await SqlEventStore.open(db.sql);
    // A row no delete can remove, to see what a registration does when its clean-up fails.
    await db.sql.exec(`
      create function refuse_undeletable() returns trigger language plpgsql as $$
      begin
        if old.username = 'undeletable' then raise exception 'this account cannot be deleted'; end if;
        return old;
      end $$;
      create trigger accounts_undeletable before delete on accounts
        for each row execute function refuse_undeletable();
    `);
  });
  afterAll(async () => {
    await eventStore?.close();
    await db?.close();
  });

  beforeEach(() => {
    const captured = captureLogs();
    logs = captured.entries;
    const counting = countingHasher();
    calls = counting.calls;
    waits = [];
    baseDeps = {
      accounts: db.accounts,
      hasher: counting.hasher,
      eventStore,
      sessions: createSessions({
        refreshTokens: new SqlRefreshTokenStore(db.sql, { ttlSeconds: 60 }),
        signAccessToken: (owner) => `access-token-for-${owner.userId}-${owner.username}`,
        accessTokenTtlSeconds: 60,
        logger: captured.logger,
      }),
      waitForPosition: async (position, timeoutMs) => {
        waits.push({ position, timeoutMs });
        return true;
      },
      clock: () => new Date('2025-05-01T00:00:00.000Z'),
      logger: captured.logger,
    };
  });

  function register(newUserId?: () => string, deps: Partial<RegisterAccountDeps> = {}) {
    return handleRegisterAccount({ ...baseDeps, newUserId, ...deps });
  }

  /** A command whose email and username no other test uses. */
  function uniqueCommand() {
    const tag = randomUUID().slice(0, 8);
    return {
      email: `Grace.${tag}@Example.org`,
      username: `Grace_${tag}`,
      password: 'long enough',
      displayName: '  Grace Hopper ',
    };
  }

  async function streamOf(userId: string) {
    return eventStore.readStream(`user-${userId}`).catch(() => undefined);
  }

  /** The error a promise rejects with, for asserting its class, message and field together. */
  async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => error,
    );
  }

  const command = {
    email: 'grace@example.org',
    username: 'grace',
    password: 'long enough',
    displayName: 'Grace',
  };

  it('stores the credentials, appends UserRegistered and starts a session', async () => {
    const userId = randomUUID();
    const input = uniqueCommand();
    const email = input.email.toLowerCase();
    const username = input.username.toLowerCase();

    const registered = await register(() => userId)(input, 'request-7');

    const profile = {
      userId,
      username,
      displayName: 'Grace Hopper',
      registeredAt: '2025-05-01T00:00:00.000Z',
    };
    expect(registered).toEqual({
      email,
      profile,
      tokens: {
        accessToken: `access-token-for-${userId}-${username}`,
        refreshToken: expect.any(String),
        expiresIn: 60,
      },
    });

    const account = await db.accounts.findById(userId);
    expect(account).toMatchObject({ userId, email, username });
    await expect(cheapHasher().verify('long enough', account!.passwordHash)).resolves.toBe(true);

    const events = await streamOf(userId);
    expect(events).toEqual([
      expect.objectContaining({
        revision: 0,
        type: 'UserRegistered',
        data: profile,
        metadata: { schemaVersion: 1, actorId: userId, correlationId: 'request-7' },
      }),
    ]);
    // The answer waits until the read models hold the new user.
    expect(waits).toEqual([{ position: events![0]!.position, timeoutMs: READ_YOUR_WRITES_TIMEOUT_MS }]);
  });

  it('gives each registration a new random user id unless told otherwise', async () => {
    const first = await register()(uniqueCommand());
    const second = await register()(uniqueCommand());
    expect(first.profile.userId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(second.profile.userId).not.toBe(first.profile.userId);
  });

  it('leaves the correlation id out of the metadata when there is none', async () => {
    const userId = randomUUID();
    await register(() => userId)(uniqueCommand());
    const [event] = (await streamOf(userId))!;
    expect(event!.metadata).toEqual({ schemaVersion: 1, actorId: userId });
  });

  describe('refuses an invalid field before hashing or writing anything', () => {
    it.each([
      ['email', { email: 'not an email' }, 'email must be a valid email address'],
      ['username', { username: 'gr' }, 'username must be 3 to 32 of a-z, 0-9, "_" and "."'],
      ['displayName', { displayName: '   ' }, 'displayName must be 1 to 64 characters'],
      ['password', { password: 'x'.repeat(7) }, 'password must be 8 to 256 characters'],
    ])('%s', async (field, change, message) => {
      const userId = randomUUID();
      const input = { ...uniqueCommand(), ...change };
      const error = await rejectionOf(register(() => userId)(input));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field, message });
      expect(calls.hash).toBe(0);
      await expect(db.accounts.findById(userId)).resolves.toBeUndefined();
      await expect(streamOf(userId)).resolves.toBeUndefined();
    });
  });

  describe('when the email or username is taken', () => {
    it.each([
      ['email', (taken: ReturnType<typeof uniqueCommand>) => ({ email: taken.email.toUpperCase() })],
      ['username', (taken: ReturnType<typeof uniqueCommand>) => ({ username: taken.username.toUpperCase() })],
    ])('%s: a conflict naming it, with no event written', async (field, clash) => {
      const taken = uniqueCommand();
      await register()(taken);
      const userId = randomUUID();
      const error = await rejectionOf(register(() => userId)({ ...uniqueCommand(), ...clash(taken) }));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ message: `${field} is already taken` });
      await expect(streamOf(userId)).resolves.toBeUndefined();
    });
  });

  it('passes on a failure of the account store that is not a duplicate, writing no event', async () => {
    // The store's uuid column refuses such an id: a database error of another kind than a duplicate.
    const error = await rejectionOf(register(() => 'not-a-uuid')(uniqueCommand()));
    expect(error).not.toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/uuid/);
    await expect(streamOf('not-a-uuid')).resolves.toBeUndefined();
  });

  it('removes the account again when the event cannot be appended, so a retry succeeds', async () => {
    // A stream already at this id makes the `no_stream` append fail, as a real conflict would.
    const unlucky = randomUUID();
    await eventStore.appendToStream(`user-${unlucky}`, [
      { id: randomUUID(), type: 'UserRegistered', data: {} },
    ]);
    await expect(register(() => unlucky)(command)).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(db.accounts.findByEmail('grace@example.org')).resolves.toBeUndefined();
    expect(logs).toEqual([]);

    const retried = await register(randomUUID)(command, 'request-1');
    expect(retried.profile).toEqual({
      userId: expect.any(String),
      username: 'grace',
      displayName: 'Grace',
      registeredAt: '2025-05-01T00:00:00.000Z',
    });
    expect(retried.tokens).toMatchObject({
      accessToken: `access-token-for-${retried.profile.userId}-grace`,
      expiresIn: 60,
    });
    await expect(db.accounts.findByEmail('grace@example.org')).resolves.toMatchObject({
      userId: retried.profile.userId,
    });
  });

  it('reports the append’s failure, and logs an account it could not remove', async () => {
    const unlucky = randomUUID();
    await eventStore.appendToStream(`user-${unlucky}`, [
      { id: randomUUID(), type: 'UserRegistered', data: {} },
    ]);
    await expect(
      register(() => unlucky)({ ...uniqueCommand(), username: 'undeletable' }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(logs).toEqual([
      expect.objectContaining({
        level: LOG_LEVEL.error,
        userId: unlucky,
        msg: 'could not remove the account of a failed registration',
        err: expect.objectContaining({ message: expect.stringContaining('cannot be deleted') }),
      }),
    ]);
  });

  it('writes no event when the email is taken', async () => {
    const userId = randomUUID();
    await expect(register(() => userId)({ ...command, username: 'grace2' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(eventStore.readStream(`user-${userId}`)).rejects.toThrow('not found');
  });
});
