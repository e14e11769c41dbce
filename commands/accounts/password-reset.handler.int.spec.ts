import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import { SqlRefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import { createSqlPasswordResetCodeStore } from '../../infra/accounts/password-reset-codes.sql.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import { createSmtpMailer } from '../../infra/mail/smtp.mailer.js';
import { startSmtpCapture, type SmtpCapture } from '../../infra/mail/testing/smtp-capture.js';
import { createMemoryRateLimiter } from '../../infra/ratelimit/memory.rate-limiter.js';
import type { RateLimiter } from '../../infra/ratelimit/rate-limiter.js';
import { waitFor } from '../../test/support/wait-for.js';
import type { PasswordResetCodeStore } from './password-reset-codes.js';
import {
  handleConfirmPasswordReset,
  handleRequestPasswordReset,
  RESET_CODE_TTL_SECONDS,
  RESET_LIMITS,
  type PasswordResetDeps,
} from './password-reset.handler.js';
import { createSessions, type Sessions } from './sessions.handler.js';
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

const WRONG_CODE = 'the code is wrong, already used or expired';
/** 15 s into a one-minute window: a throttled answer says 45 s. */
const NOW_MS = 1_000_000 * 60_000 + 15_000;
const PREFIX = 'test:';

describe('password reset', () => {
  let db: AccountsDb;
  let capture: SmtpCapture;
  let mailer: Mailer;
  let codes: PasswordResetCodeStore;
  let refreshTokens: SqlRefreshTokenStore;
  let sessions: Sessions;
  // Fresh for every test, so counts and calls never leak from one test into another.
  let limiter: RateLimiter;
  let logs: LogEntry[];
  let calls: HasherCalls;
  let baseDeps: PasswordResetDeps;

  beforeAll(async () => {
    db = await openAccountsDb();
    capture = await startSmtpCapture();
    mailer = createSmtpMailer({ url: capture.url });
    codes = createSqlPasswordResetCodeStore(db.sql);
    refreshTokens = new SqlRefreshTokenStore(db.sql, { ttlSeconds: 600 });
  });
  afterAll(async () => {
    await mailer?.close();
    await capture?.close();
    await db?.close();
  });

  beforeEach(() => {
    const captured = captureLogs();
    logs = captured.entries;
    limiter = createMemoryRateLimiter(() => NOW_MS);
    const counting = countingHasher();
    calls = counting.calls;
    sessions = createSessions({
      refreshTokens,
      signAccessToken: (owner) => `signed:${owner.userId}`,
      accessTokenTtlSeconds: 900,
      logger: captured.logger,
    });
    baseDeps = {
      accounts: db.accounts,
      hasher: counting.hasher,
      codes,
      refreshTokens,
      mailer,
      limiter,
      limitKeyPrefix: PREFIX,
      logger: captured.logger,
      generateCode: () => '12345678',
    };
  });

  const request = (email: string, ip = randomIp(), deps: Partial<PasswordResetDeps> = {}) =>
    handleRequestPasswordReset({ ...baseDeps, ...deps })({ email, ip });
  const confirm = (
    command: { email: string; code: string; newPassword: string; ip?: string },
    deps: Partial<PasswordResetDeps> = {},
  ) => handleConfirmPasswordReset({ ...baseDeps, ...deps })({ ip: randomIp(), ...command });

  function randomIp(): string {
    const bytes = randomUUID().replace(/-/g, '').slice(0, 6);
    return `10.${parseInt(bytes.slice(0, 2), 16)}.${parseInt(bytes.slice(2, 4), 16)}.${parseInt(bytes.slice(4), 16)}`;
  }

  async function newAccount(password = 'old password') {
    const userId = randomUUID();
    const username = `ada_${userId.slice(0, 8)}`;
    const email = `${username}@example.org`;
    await db.accounts.create({ userId, email, username, passwordHash: await cheapHasher().hash(password) });
    return { userId, username, email };
  }

  async function passwordIs(userId: string, password: string): Promise<boolean> {
    const account = await db.accounts.findById(userId);
    return cheapHasher().verify(password, account!.passwordHash);
  }

  async function mailsTo(email: string, count: number) {
    await waitFor(`${count} mail(s) to ${email}`, () => capture.to(email).length >= count);
    return capture.to(email);
  }

  async function codeRows(userId: string): Promise<number> {
    const [row] = await db.sql.query<{ n: number }>(
      'select count(*)::int as n from password_reset_codes where user_id = $1',
      [userId],
    );
    return row!.n;
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

  async function expectWrongCode(promise: Promise<unknown>) {
    const error = await rejectionOf(promise);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'bad_request', field: 'code', message: WRONG_CODE });
  }

  describe('requesting a code', () => {
    it('mails a code to the account, keeps only its hash, and logs that it left', async () => {
      const account = await newAccount();
      await expect(request(`  ${account.email.toUpperCase()} `)).resolves.toEqual({ outcome: 'done' });

      const [mail] = await mailsTo(account.email, 1);
      expect(mail).toEqual({
        to: [account.email],
        subject: 'Your Parley password reset code',
        messageId: expect.stringMatching(
          new RegExp(`^<password-reset-${account.userId}-\\d+@parley\\.invalid>$`),
        ),
        text: expect.any(String),
      });
      expect(mail!.text.trimEnd()).toBe(
        [
          'Someone (hopefully you) asked to reset the password of your Parley account.',
          '',
          'Your code: 12345678',
          '',
          'It works once, for 15 minutes. If you did not ask, ignore this mail:',
          'your password stays as it is.',
        ].join('\n'),
      );

      const stored = await codes.get(account.userId);
      expect(stored).not.toContain('12345678');
      await expect(cheapHasher().verify('12345678', stored!)).resolves.toBe(true);
      await waitFor('the mail to be logged', () => logs.length > 0);
      expect(logs).toEqual([
        expect.objectContaining({
          level: LOG_LEVEL.info,
          userId: account.userId,
          msg: 'password reset code mailed',
        }),
      ]);
    });

    it('keeps the code for 15 minutes unless told otherwise', async () => {
      expect(RESET_CODE_TTL_SECONDS).toBe(900);
      const account = await newAccount();
      await request(account.email);
      const [row] = await db.sql.query<{ seconds: number }>(
        'select extract(epoch from expires_at - now())::float8 as seconds from password_reset_codes where user_id = $1',
        [account.userId],
      );
      // Generous below, exact above: the row was written a moment ago with now() + 900 s.
      expect(row!.seconds).toBeLessThanOrEqual(900);
      expect(row!.seconds).toBeGreaterThan(840);
    });

    it.each([
      [60, 'It works once, for 1 minute.'],
      [120, 'It works once, for 2 minutes.'],
      [90, 'It works once, for 90 seconds.'],
    ])('with a code lifetime of %i s, the mail says "%s"', async (codeTtlSeconds, sentence) => {
      const account = await newAccount();
      await request(account.email, randomIp(), { codeTtlSeconds });
      const [mail] = await mailsTo(account.email, 1);
      expect(mail!.text).toContain(`\n${sentence} If you did not ask`);
      const [row] = await db.sql.query<{ seconds: number }>(
        'select extract(epoch from expires_at - now())::float8 as seconds from password_reset_codes where user_id = $1',
        [account.userId],
      );
      expect(row!.seconds).toBeLessThanOrEqual(codeTtlSeconds);
      expect(row!.seconds).toBeGreaterThan(codeTtlSeconds - 30);
    });

    it('answers done for an unknown email after the same hashing, and stores and mails nothing', async () => {
      const [before] = await db.sql.query<{ n: number }>(
        'select count(*)::int as n from password_reset_codes',
      );
      await expect(request('nobody@example.org')).resolves.toEqual({ outcome: 'done' });
      expect(calls.hash).toBe(1);
      const [after] = await db.sql.query<{ n: number }>(
        'select count(*)::int as n from password_reset_codes',
      );
      expect(after!.n).toBe(before!.n);

      // A mail for a known account, asked for afterwards, arrives alone.
      const account = await newAccount();
      await request(account.email);
      await mailsTo(account.email, 1);
      expect(capture.to('nobody@example.org')).toEqual([]);
    });

    it('answers done for an invalid email after the same hashing', async () => {
      await expect(request('not an email')).resolves.toEqual({ outcome: 'done' });
      expect(calls.hash).toBe(1);
    });

    it('uses a random 8-digit code by default, which then confirms the reset', async () => {
      const account = await newAccount();
      await request(account.email, randomIp(), { generateCode: undefined });
      const [mail] = await mailsTo(account.email, 1);
      const code = /^Your code: (\d{8})$/m.exec(mail!.text)?.[1];
      expect(code).toBeDefined();
      await expect(
        confirm(
          { email: account.email, code: code!, newPassword: 'new password' },
          { generateCode: undefined },
        ),
      ).resolves.toEqual({ outcome: 'done' });
    });

    it('still answers done when the mail cannot be sent, and logs the failure', async () => {
      const account = await newAccount();
      const unreachable = createSmtpMailer({ url: 'smtp://127.0.0.1:1' });
      try {
        await expect(request(account.email, randomIp(), { mailer: unreachable })).resolves.toEqual({
          outcome: 'done',
        });
        await waitFor('the failure to be logged', () => logs.length > 0);
        expect(logs).toEqual([
          expect.objectContaining({
            level: LOG_LEVEL.error,
            userId: account.userId,
            msg: 'password reset mail failed',
            err: expect.objectContaining({ message: expect.any(String) }),
          }),
        ]);
      } finally {
        await unreachable.close();
      }
    });

    describe('throttled', () => {
      it(`after ${RESET_LIMITS.requestsPerIp} requests a minute from one address`, async () => {
        expect(RESET_LIMITS.requestsPerIp).toBe(10);
        const ip = randomIp();
        for (let index = 0; index < 10; index += 1) {
          await expect(request(`nobody${index}@example.org`, ip)).resolves.toEqual({ outcome: 'done' });
        }
        await expect(request('nobody-else@example.org', ip)).resolves.toEqual({
          outcome: 'throttled',
          retryAfterSeconds: 45,
        });
        // No hashing for a refused request, and other addresses go on.
        expect(calls.hash).toBe(10);
        await expect(request('nobody-else@example.org')).resolves.toEqual({ outcome: 'done' });
      });

      it(`after ${RESET_LIMITS.requestsPerAccount} requests a minute for one email, however it is spelled`, async () => {
        expect(RESET_LIMITS.requestsPerAccount).toBe(3);
        const account = await newAccount();
        const spellings = [account.email, account.email.toUpperCase(), ` ${account.email} `];
        for (const spelling of spellings) {
          await expect(request(spelling)).resolves.toEqual({ outcome: 'done' });
        }
        await expect(request(`${account.email}  `)).resolves.toEqual({
          outcome: 'throttled',
          retryAfterSeconds: 45,
        });
        expect(calls.hash).toBe(3);
        await mailsTo(account.email, 3);
        // Another account is not held back.
        const other = await newAccount();
        await expect(request(other.email)).resolves.toEqual({ outcome: 'done' });
      });

      it('counts invalid emails by their text, each apart', async () => {
        for (let index = 0; index < 4; index += 1) {
          await expect(request(`not an email ${index}`)).resolves.toEqual({ outcome: 'done' });
        }
      });
    });
  });

  describe('confirming a code', () => {
    it('sets the new password, spends the code and ends every session of the account', async () => {
      const account = await newAccount();
      const other = await newAccount();
      const sessionsOfAccount = [await sessions.start(account), await sessions.start(account)];
      const sessionOfOther = await sessions.start(other);
      await request(account.email);
      calls.hash = 0;

      await expect(
        confirm({ email: account.email.toUpperCase(), code: '12345678', newPassword: 'new password' }),
      ).resolves.toEqual({ outcome: 'done' });

      expect(await passwordIs(account.userId, 'new password')).toBe(true);
      expect(await passwordIs(account.userId, 'old password')).toBe(false);
      expect(await passwordIs(other.userId, 'old password')).toBe(true);
      expect(await codeRows(account.userId)).toBe(0);
      expect(calls).toEqual({ hash: 1, verify: 1, verifyDummy: 0 });
      for (const session of sessionsOfAccount) {
        await expect(sessions.refresh(session.refreshToken)).resolves.toBeUndefined();
      }
      await expect(sessions.refresh(sessionOfOther.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
      expect(logs).toContainEqual(
        expect.objectContaining({ level: LOG_LEVEL.info, userId: account.userId, msg: 'password reset' }),
      );
    });

    it('accepts the code with spaces around it, as it may be pasted', async () => {
      const account = await newAccount();
      await request(account.email);
      await expect(
        confirm({ email: account.email, code: ' 12345678 \n', newPassword: 'new password' }),
      ).resolves.toEqual({ outcome: 'done' });
    });

    it('refuses a wrong code and changes nothing: the right code still works afterwards', async () => {
      const account = await newAccount();
      const session = await sessions.start(account);
      await request(account.email);

      await expectWrongCode(confirm({ email: account.email, code: '87654321', newPassword: 'new password' }));
      expect(await passwordIs(account.userId, 'old password')).toBe(true);
      expect(await codeRows(account.userId)).toBe(1);
      await expect(sessions.refresh(session.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
      expect(logs.filter((entry) => entry.msg === 'password reset')).toEqual([]);

      await expect(
        confirm({ email: account.email, code: '12345678', newPassword: 'new password' }),
      ).resolves.toEqual({ outcome: 'done' });
    });

    it('refuses a code the second time', async () => {
      const account = await newAccount();
      await request(account.email);
      await confirm({ email: account.email, code: '12345678', newPassword: 'first new password' });
      await expectWrongCode(
        confirm({ email: account.email, code: '12345678', newPassword: 'second new password' }),
      );
      expect(await passwordIs(account.userId, 'first new password')).toBe(true);
    });

    it('lets exactly one of two simultaneous confirmations with the code through', async () => {
      const account = await newAccount();
      await request(account.email);
      const outcomes = await Promise.allSettled([
        confirm({ email: account.email, code: '12345678', newPassword: 'first new password' }),
        confirm({ email: account.email, code: '12345678', newPassword: 'second new password' }),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [refused] = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ field: 'code', message: WRONG_CODE });
    });

    it('refuses an expired code', async () => {
      const account = await newAccount();
      await request(account.email);
      await db.sql.query(
        "update password_reset_codes set expires_at = now() - interval '1 second' where user_id = $1",
        [account.userId],
      );
      await expectWrongCode(confirm({ email: account.email, code: '12345678', newPassword: 'new password' }));
      expect(await passwordIs(account.userId, 'old password')).toBe(true);
    });

    it('refuses the older code once a newer one was mailed', async () => {
      const account = await newAccount();
      await request(account.email, randomIp(), { generateCode: () => '11111111' });
      await request(account.email, randomIp(), { generateCode: () => '22222222' });
      await expectWrongCode(confirm({ email: account.email, code: '11111111', newPassword: 'new password' }));
      await expect(
        confirm({ email: account.email, code: '22222222', newPassword: 'new password' }),
      ).resolves.toEqual({ outcome: 'done' });
    });

    it.each([
      ['an unknown email', 'nobody@example.org'],
      ['an invalid email', 'not an email'],
    ])('refuses %s the same way, after the same hashing', async (_case, email) => {
      await expectWrongCode(confirm({ email, code: '12345678', newPassword: 'new password' }));
      expect(calls).toEqual({ hash: 0, verify: 0, verifyDummy: 1 });
    });

    it('refuses an account with no pending code the same way', async () => {
      const account = await newAccount();
      await expectWrongCode(confirm({ email: account.email, code: '12345678', newPassword: 'new password' }));
      expect(calls).toEqual({ hash: 0, verify: 0, verifyDummy: 1 });
      expect(await passwordIs(account.userId, 'old password')).toBe(true);
    });

    it.each([
      ['7', 'x'.repeat(7)],
      ['257', 'x'.repeat(257)],
    ])('refuses a new password of %s characters and keeps the code', async (_label, newPassword) => {
      const account = await newAccount();
      await request(account.email);
      const error = await rejectionOf(confirm({ email: account.email, code: '12345678', newPassword }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'password', message: 'password must be 8 to 256 characters' });
      expect(await codeRows(account.userId)).toBe(1);
    });

    describe('throttled', () => {
      it(`after ${RESET_LIMITS.confirmationsPerAccount} guesses a minute for one email, even with the right code`, async () => {
        expect(RESET_LIMITS.confirmationsPerAccount).toBe(5);
        const account = await newAccount();
        await request(account.email);
        const spellings = [account.email, account.email.toUpperCase(), ` ${account.email}`];
        for (let guess = 0; guess < 5; guess += 1) {
          await expectWrongCode(
            confirm({ email: spellings[guess % 3]!, code: `0000000${guess}`, newPassword: 'new password' }),
          );
        }
        await expect(
          confirm({ email: account.email, code: '12345678', newPassword: 'new password' }),
        ).resolves.toEqual({ outcome: 'throttled', retryAfterSeconds: 45 });
        expect(await passwordIs(account.userId, 'old password')).toBe(true);
        expect(await codeRows(account.userId)).toBe(1);
      });

      it(`after ${RESET_LIMITS.confirmationsPerIp} guesses a minute from one address`, async () => {
        expect(RESET_LIMITS.confirmationsPerIp).toBe(20);
        const ip = randomIp();
        for (let guess = 0; guess < 20; guess += 1) {
          await expectWrongCode(
            confirm({
              email: `nobody${guess}@example.org`,
              code: '12345678',
              newPassword: 'new password',
              ip,
            }),
          );
        }
        await expect(
          confirm({ email: 'nobody-else@example.org', code: '12345678', newPassword: 'new password', ip }),
        ).resolves.toEqual({ outcome: 'throttled', retryAfterSeconds: 45 });
        expect(calls.verifyDummy).toBe(20);
      });

      it('counts invalid emails by their text, each apart', async () => {
        const guess = (email: string) => confirm({ email, code: '1', newPassword: 'new password' });
        for (let index = 0; index < 5; index += 1) await expectWrongCode(guess('not an email 0'));
        await expectWrongCode(guess('not an email 1'));
        await expect(guess('not an email 0')).resolves.toMatchObject({ outcome: 'throttled' });
      });
    });

    describe('limits kept under keys of their own', () => {
      it.each([
        ['requests from an address', 'pwreset:request:ip:10.9.9.9', RESET_LIMITS.requestsPerIp, 'request'],
        [
          'requests for an email',
          'pwreset:request:email:keyed@example.org',
          RESET_LIMITS.requestsPerAccount,
          'request',
        ],
        [
          'confirmations from an address',
          'pwreset:confirm:ip:10.9.9.9',
          RESET_LIMITS.confirmationsPerIp,
          'confirm',
        ],
        [
          'confirmations for an email',
          'pwreset:confirm:email:keyed@example.org',
          RESET_LIMITS.confirmationsPerAccount,
          'confirm',
        ],
      ] as const)('%s, behind the deployment’s prefix', async (_case, key, limit, action) => {
        const act = (deps: Partial<PasswordResetDeps> = {}) =>
          action === 'request'
            ? request('Keyed@Example.org', '10.9.9.9', deps)
            : confirm(
                { email: 'Keyed@Example.org', code: '12345678', newPassword: 'new password', ip: '10.9.9.9' },
                deps,
              ).catch((error: unknown) => error);
        for (let hit = 0; hit < limit; hit += 1) await limiter.hit(`${PREFIX}${key}`, limit);

        await expect(act()).resolves.toEqual({ outcome: 'throttled', retryAfterSeconds: 45 });
        // Another deployment sharing the limiter keeps its own counts.
        await expect(act({ limitKeyPrefix: 'other:' })).resolves.not.toMatchObject({ outcome: 'throttled' });
      });
    });
  });
});
