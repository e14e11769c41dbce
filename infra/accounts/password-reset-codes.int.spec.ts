import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PasswordResetCodeStore } from '../../commands/accounts/password-reset-codes.js';
import { waitFor } from '../../test/support/wait-for.js';
import { migrate } from '../sql/migrate.js';
import { accountsMigrations } from './accounts.schema.js';
import { createRedisPasswordResetCodeStore } from './password-reset-codes.redis.js';
import { createSqlPasswordResetCodeStore, passwordResetCodesMigrations } from './password-reset-codes.sql.js';
import { openTestSql } from '../sql/testing/sql-engines.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Engine {
  store: PasswordResetCodeStore;
  /** A user the store may hold a code for. */
  newUser(): Promise<string>;
  /** Makes the user's pending code lapse now, without waiting 15 minutes. */
  expire(userId: string): Promise<void>;
  close(): Promise<void>;
}

async function openSqlEngine(): Promise<Engine> {
  const { sql, close } = await openTestSql('postgres', 'accounts');
  await migrate(sql, 'accounts', accountsMigrations);
  await migrate(sql, 'password-reset', passwordResetCodesMigrations);
  return {
    store: createSqlPasswordResetCodeStore(sql),
    async newUser() {
      const userId = randomUUID();
      const name = userId.slice(0, 8);
      await sql.query(
        'insert into accounts (user_id, email, username, password_hash) values ($1, $2, $3, $4)',
        [userId, `${name}@example.org`, `u${name}`, 'x'],
      );
      return userId;
    },
    async expire(userId) {
      await sql.query(
        "update password_reset_codes set expires_at = now() - interval '1 second' where user_id = $1",
        [userId],
      );
    },
    close,
  };
}

async function openRedisEngine(): Promise<Engine> {
  const keyPrefix = `parley:test:${randomUUID()}:password-reset:`;
  const store = await createRedisPasswordResetCodeStore({ url: REDIS_URL, keyPrefix });
  const redis = new Redis(REDIS_URL);
  return {
    store,
    newUser: async () => randomUUID(),
    async expire(userId) {
      await redis.pexpire(`${keyPrefix}${userId}`, 1);
      await waitFor('the key to lapse', async () => (await redis.exists(`${keyPrefix}${userId}`)) === 0);
    },
    async close() {
      await store.close();
      redis.disconnect();
    },
  };
}

describe.each([
  { name: 'PostgreSQL', open: openSqlEngine },
  { name: 'Redis', open: openRedisEngine },
])('password reset codes ($name)', ({ open }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await open();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('keeps the code until it is taken, once', async () => {
    const userId = await engine.newUser();
    await engine.store.put(userId, 'hash-1', 900);
    expect(await engine.store.get(userId)).toBe('hash-1');
    expect(await engine.store.take(userId, 'other')).toBe(false);
    const takes = await Promise.all([
      engine.store.take(userId, 'hash-1'),
      engine.store.take(userId, 'hash-1'),
    ]);
    expect(takes.filter(Boolean)).toHaveLength(1);
    expect(await engine.store.get(userId)).toBeUndefined();
  });

  it('a newer code replaces the older one', async () => {
    const userId = await engine.newUser();
    await engine.store.put(userId, 'old', 900);
    await engine.store.put(userId, 'new', 900);
    expect(await engine.store.take(userId, 'old')).toBe(false);
    expect(await engine.store.take(userId, 'new')).toBe(true);
  });

  it('an expired code can be neither read nor taken', async () => {
    const userId = await engine.newUser();
    await engine.store.put(userId, 'hash', 900);
    await engine.expire(userId);
    expect(await engine.store.get(userId)).toBeUndefined();
    expect(await engine.store.take(userId, 'hash')).toBe(false);
  });
});
