import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqlRefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import { createSessions, type Sessions } from './sessions.handler.js';
import {
  captureLogs,
  LOG_LEVEL,
  openAccountsDb,
  type AccountsDb,
  type LogEntry,
} from './testing/accounts-kit.js';

/** A stand-in for the JWT plugin's signer that shows whom a token was minted for. */
const signAccessToken = (owner: { userId: string; username: string }) =>
  `signed:${owner.userId}:${owner.username}`;

describe('sessions', () => {
  let db: AccountsDb;
  let sessions: Sessions;
  let logs: LogEntry[];
  let user: { userId: string; username: string };

  beforeAll(async () => {
    db = await openAccountsDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  beforeEach(async () => {
    const captured = captureLogs();
    logs = captured.entries;
    sessions = createSessions({
      refreshTokens: new SqlRefreshTokenStore(db.sql, { ttlSeconds: 600 }),
      signAccessToken,
      accessTokenTtlSeconds: 900,
      logger: captured.logger,
    });
    const userId = randomUUID();
    const username = `u${userId.slice(0, 8)}`;
    // Refresh tokens belong to accounts: rotation reads the username from the account.
    await db.accounts.create({ userId, email: `${username}@example.org`, username, passwordHash: 'x' });
    user = { userId, username };
  });

  describe('starting one', () => {
    it('answers an access token for the user, its lifetime and a fresh refresh token', async () => {
      const tokens = await sessions.start(user);
      expect(tokens).toEqual({
        accessToken: `signed:${user.userId}:${user.username}`,
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresIn: 900,
      });
    });

    it('gives every login a refresh token of its own', async () => {
      const [first, second] = [await sessions.start(user), await sessions.start(user)];
      expect(first.refreshToken).not.toBe(second.refreshToken);
    });
  });

  describe('refreshing', () => {
    it('answers the next tokens for the account the refresh token belongs to', async () => {
      const started = await sessions.start(user);
      const next = await sessions.refresh(started.refreshToken);
      expect(next).toEqual({
        accessToken: `signed:${user.userId}:${user.username}`,
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresIn: 900,
      });
      expect(next?.refreshToken).not.toBe(started.refreshToken);
      expect(logs).toEqual([]);
    });

    it('the newest token refreshes again', async () => {
      const started = await sessions.start(user);
      const next = await sessions.refresh(started.refreshToken);
      await expect(sessions.refresh(next!.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
    });

    it('refuses a spent token, ends the whole session and logs a warning naming the user', async () => {
      const started = await sessions.start(user);
      const next = await sessions.refresh(started.refreshToken);

      await expect(sessions.refresh(started.refreshToken)).resolves.toBeUndefined();
      expect(logs).toEqual([
        expect.objectContaining({
          level: LOG_LEVEL.warn,
          userId: user.userId,
          msg: 'spent refresh token presented; session revoked',
        }),
      ]);
      // The family is revoked: whoever held the newest token is signed out too.
      await expect(sessions.refresh(next!.refreshToken)).resolves.toBeUndefined();
    });

    it('refuses an unknown token quietly', async () => {
      await expect(sessions.refresh('not-a-token-we-issued')).resolves.toBeUndefined();
      expect(logs).toEqual([]);
    });
  });

  describe('ending one', () => {
    it('revokes its refresh tokens and leaves the user’s other sessions alone', async () => {
      const ended = await sessions.start(user);
      const other = await sessions.start(user);
      await sessions.end(ended.refreshToken);
      await expect(sessions.refresh(ended.refreshToken)).resolves.toBeUndefined();
      await expect(sessions.refresh(other.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
    });

    it('ignores a token it does not know', async () => {
      await expect(sessions.end('not-a-token-we-issued')).resolves.toBeUndefined();
    });
  });
});
