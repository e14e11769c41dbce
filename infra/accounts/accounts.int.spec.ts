import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../sql/migrate.js';
import type { SqlClient } from '../sql/sql-client.js';
import { DuplicateAccountError, SqlAccountStore } from './account-store.js';
import { accountsMigrations } from './accounts.schema.js';
import { loadOrCreateJwtSecret } from './jwt-secret.js';
import { SqlRefreshTokenStore } from './refresh-token-store.js';
import { openTestSql, sqlEngines } from '../sql/testing/sql-engines.js';

describe.each(sqlEngines)('the credentials store (%s)', (engine) => {
  let sql: SqlClient;
  let close: () => Promise<void>;
  let accounts: SqlAccountStore;
  let tokens: SqlRefreshTokenStore;

  beforeAll(async () => {
    ({ sql, close } = await openTestSql(engine, 'accounts'));
    await migrate(sql, 'accounts', accountsMigrations);
    accounts = new SqlAccountStore(sql);
    tokens = new SqlRefreshTokenStore(sql, { ttlSeconds: 3600 });
  });
  afterAll(async () => {
    await close?.();
  });

  let counter = 0;
  async function newAccount() {
    counter += 1;
    const account = {
      userId: randomUUID(),
      email: `user${counter}@example.org`,
      username: `user${counter}`,
      passwordHash: 'scrypt$hash',
    };
    await accounts.create(account);
    return account;
  }

  describe('accounts', () => {
    it('finds an account by id, email and username', async () => {
      const account = await newAccount();
      for (const found of [
        await accounts.findById(account.userId),
        await accounts.findByEmail(account.email),
        await accounts.findByUsername(account.username),
      ]) {
        expect(found).toMatchObject(account);
        expect(found?.createdAt).toBeInstanceOf(Date);
      }
      await expect(accounts.findByEmail('nobody@example.org')).resolves.toBeUndefined();
    });

    it.each([
      [
        'email',
        (taken: { email: string }) => ({ email: taken.email, username: `other${randomUUID().slice(0, 8)}` }),
      ],
      [
        'username',
        (taken: { username: string }) => ({ email: `${randomUUID()}@example.org`, username: taken.username }),
      ],
    ] as const)('refuses a second account with the same %s, naming it', async (field, clash) => {
      const taken = await newAccount();
      const attempt = accounts.create({ userId: randomUUID(), passwordHash: 'x', ...clash(taken) });
      await expect(attempt).rejects.toBeInstanceOf(DuplicateAccountError);
      await expect(attempt).rejects.toMatchObject({ field });
    });

    it('frees the email and username of a deleted account', async () => {
      const account = await newAccount();
      await accounts.delete(account.userId);
      await expect(accounts.create({ ...account, userId: randomUUID() })).resolves.toBeUndefined();
    });
  });

  describe('refresh tokens', () => {
    it('rotates a token into a new one of the same owner, and the old one stops working', async () => {
      const account = await newAccount();
      const first = await tokens.issue(account.userId);
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const rotated = await tokens.rotate(first);
      expect(rotated).toMatchObject({
        outcome: 'rotated',
        owner: { userId: account.userId, username: account.username },
      });
      const second = rotated.outcome === 'rotated' ? rotated.refreshToken : '';
      expect(second).not.toBe(first);
      await expect(tokens.rotate(first)).resolves.toMatchObject({ outcome: 'reused' });
    });

    it('stores only a hash of each token', async () => {
      const account = await newAccount();
      const token = await tokens.issue(account.userId);
      const rows = await sql.query<{ token_hash: string }>(
        'select token_hash from refresh_tokens where user_id = $1',
        [account.userId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash).not.toContain(token);
    });

    it('revokes the whole family when a spent token comes back', async () => {
      const account = await newAccount();
      const first = await tokens.issue(account.userId);
      const rotated = await tokens.rotate(first);
      if (rotated.outcome !== 'rotated') throw new Error('expected a rotation');
      const other = await tokens.issue(account.userId);

      await expect(tokens.rotate(first)).resolves.toEqual({
        outcome: 'reused',
        owner: { userId: account.userId },
      });
      await expect(tokens.rotate(rotated.refreshToken)).resolves.toMatchObject({ outcome: 'reused' });
      // Another session (family) of the same user is untouched.
      await expect(tokens.rotate(other)).resolves.toMatchObject({ outcome: 'rotated' });
    });

    it('lets exactly one of several concurrent rotations of one token win', async () => {
      const account = await newAccount();
      const token = await tokens.issue(account.userId);
      const results = await Promise.all(Array.from({ length: 6 }, () => tokens.rotate(token)));
      expect(results.filter((result) => result.outcome === 'rotated')).toHaveLength(1);
      expect(results.filter((result) => result.outcome === 'reused')).toHaveLength(5);
    });

    it('refuses an unknown token and an expired one without revoking anything', async () => {
      const account = await newAccount();
      await expect(tokens.rotate('not-a-token')).resolves.toEqual({ outcome: 'invalid' });
      const expiring = new SqlRefreshTokenStore(sql, { ttlSeconds: -1 });
      const expired = await expiring.issue(account.userId);
      await expect(tokens.rotate(expired)).resolves.toEqual({ outcome: 'invalid' });
    });

    it('revokes a family on request, and ignores an unknown token', async () => {
      const account = await newAccount();
      const token = await tokens.issue(account.userId);
      await tokens.revokeFamily(token);
      await expect(tokens.rotate(token)).resolves.toMatchObject({ outcome: 'reused' });
      await expect(tokens.revokeFamily('never-issued')).resolves.toBeUndefined();
    });
  });

  describe('the JWT secret', () => {
    it('is generated once and then the same for every caller, however many ask at once', async () => {
      const secrets = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateJwtSecret(sql)));
      const again = await loadOrCreateJwtSecret(sql);
      expect(again).toHaveLength(48);
      for (const secret of secrets) expect(secret.equals(again)).toBe(true);
      const rows = await sql.query('select name from parley_secrets');
      expect(rows).toHaveLength(1);
    });
  });
});
