import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PasswordHasher } from '../../infra/accounts/password-hasher.js';
import { SqlRefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import { handleLogIn, type LogInCommand, type LoggedIn } from './log-in.handler.js';
import { createSessions, type Sessions } from './sessions.handler.js';
import {
  captureLogs,
  cheapHasher,
  countingHasher,
  LOG_LEVEL,
  openAccountsDb,
  TEST_HASH_COST,
  type AccountsDb,
  type HasherCalls,
  type LogEntry,
} from './testing/accounts-kit.js';

describe('logging in', () => {
  let db: AccountsDb;
  let sessions: Sessions;
  let logs: LogEntry[];
  let calls: HasherCalls;
  let logIn: (command: LogInCommand) => Promise<LoggedIn | undefined>;

  beforeAll(async () => {
    db = await openAccountsDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  beforeEach(() => {
    const captured = captureLogs();
    logs = captured.entries;
    sessions = createSessions({
      refreshTokens: new SqlRefreshTokenStore(db.sql, { ttlSeconds: 600 }),
      signAccessToken: (owner) => `signed:${owner.userId}:${owner.username}`,
      accessTokenTtlSeconds: 900,
      logger: captured.logger,
    });
    const counting = countingHasher();
    calls = counting.calls;
    logIn = handleLogIn({
      accounts: db.accounts,
      hasher: counting.hasher,
      sessions,
      logger: captured.logger,
    });
  });

  /** An account written straight to the store, so any password (even one registration refuses) can be set. */
  async function accountWith(password: string, hasher: PasswordHasher = cheapHasher()) {
    const userId = randomUUID();
    const username = `ada_${userId.slice(0, 8)}`;
    const email = `${username}@example.org`;
    const passwordHash = await hasher.hash(password);
    await db.accounts.create({ userId, email, username, passwordHash });
    return { userId, username, email, passwordHash };
  }

  async function sessionCount(userId: string): Promise<number> {
    const [row] = await db.sql.query<{ n: number }>(
      'select count(*)::int as n from refresh_tokens where user_id = $1',
      [userId],
    );
    return row!.n;
  }

  describe('with the right password', () => {
    it('by email, in any case and with spaces around, starts a session for the account', async () => {
      const account = await accountWith('correct horse');
      const loggedIn = await logIn({
        identifier: `  ${account.email.toUpperCase()} `,
        password: 'correct horse',
      });
      expect(loggedIn).toEqual({
        userId: account.userId,
        tokens: {
          accessToken: `signed:${account.userId}:${account.username}`,
          refreshToken: expect.any(String),
          expiresIn: 900,
        },
      });
      expect(await sessionCount(account.userId)).toBe(1);
      await expect(sessions.refresh(loggedIn!.tokens.refreshToken)).resolves.toMatchObject({
        accessToken: `signed:${account.userId}:${account.username}`,
      });
    });

    it('by username, in any case and with spaces around, starts a session for the account', async () => {
      const account = await accountWith('correct horse');
      const loggedIn = await logIn({
        identifier: ` ${account.username.toUpperCase()}  `,
        password: 'correct horse',
      });
      expect(loggedIn).toMatchObject({
        userId: account.userId,
        tokens: { accessToken: `signed:${account.userId}:${account.username}` },
      });
    });

    it.each([
      ['8', 8],
      ['256', 256],
    ])('works with a password of %s characters, the bounds', async (_label, length) => {
      const password = 'p'.repeat(length);
      const account = await accountWith(password);
      await expect(logIn({ identifier: account.email, password })).resolves.toMatchObject({
        userId: account.userId,
      });
    });

    it('keeps a hash made with the current parameters and logs nothing', async () => {
      const account = await accountWith('correct horse');
      await logIn({ identifier: account.email, password: 'correct horse' });
      expect((await db.accounts.findById(account.userId))?.passwordHash).toBe(account.passwordHash);
      expect(calls.hash).toBe(0);
      expect(logs).toEqual([]);
    });

    it('re-hashes a hash made with older parameters, which the password then still opens', async () => {
      const account = await accountWith('correct horse', cheapHasher(TEST_HASH_COST + 1));
      await expect(logIn({ identifier: account.email, password: 'correct horse' })).resolves.toMatchObject({
        userId: account.userId,
      });

      const stored = (await db.accounts.findById(account.userId))!.passwordHash;
      const current = cheapHasher();
      expect(stored).not.toBe(account.passwordHash);
      expect(current.needsRehash(stored)).toBe(false);
      await expect(current.verify('correct horse', stored)).resolves.toBe(true);
      expect(logs).toEqual([
        expect.objectContaining({
          level: LOG_LEVEL.info,
          userId: account.userId,
          msg: 'password re-hashed with the current parameters',
        }),
      ]);
    });
  });

  describe('refused with the same answer', () => {
    it('a wrong password, after checking it against the account, with no session started', async () => {
      const account = await accountWith('correct horse');
      await expect(logIn({ identifier: account.email, password: 'wrong horse' })).resolves.toBeUndefined();
      expect(calls).toEqual({ hash: 0, verify: 1, verifyDummy: 0 });
      expect(await sessionCount(account.userId)).toBe(0);
      expect((await db.accounts.findById(account.userId))?.passwordHash).toBe(account.passwordHash);
    });

    it.each([
      ['an unknown email', 'nobody@example.org'],
      ['an unknown username', 'nobody'],
    ])('%s, after the same hashing work as a wrong password', async (_case, identifier) => {
      await expect(logIn({ identifier, password: 'correct horse' })).resolves.toBeUndefined();
      expect(calls).toEqual({ hash: 0, verify: 0, verifyDummy: 1 });
    });

    it.each([
      ['7', 7],
      ['257', 257],
    ])(
      'a password of %s characters at once, without hashing, even if it is the account’s',
      async (_label, length) => {
        const password = 'p'.repeat(length);
        const account = await accountWith(password);
        await expect(logIn({ identifier: account.email, password })).resolves.toBeUndefined();
        expect(calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 });
        expect(await sessionCount(account.userId)).toBe(0);
      },
    );
  });
});
