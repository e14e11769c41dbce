import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFeature } from '../../app/features/accounts.feature.js';
import { RESET_LIMITS } from '../../commands/accounts/password-reset.handler.js';
import { startSmtpCapture, type SmtpCapture } from '../../infra/mail/testing/smtp-capture.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { waitFor } from '../../test/support/wait-for.js';
import { call, registerUser, TEST_PASSWORD_HASH_COST, uniqueName } from './testing/accounts-server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each<{ label: string; environment: Record<string, string> }>([
  { label: 'codes in PostgreSQL', environment: {} },
  { label: 'codes in Redis', environment: { REDIS_URL } },
])('password reset by mail ($label)', ({ environment }) => {
  let smtp: SmtpCapture;
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer('postgres', { ...environment, SMTP_URL: smtp.url }, [
      accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST }),
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  const requestReset = (email: string) =>
    call(server, 'POST', '/v1/auth/password-reset', { body: { email } });
  const confirm = (email: string, code: string, newPassword: string) =>
    call(server, 'POST', '/v1/auth/password-reset/confirm', { body: { email, code, newPassword } });

  /** Asks for a code and reads it from the mail the SMTP server received. */
  async function mailedCode(email: string): Promise<string> {
    const before = smtp.to(email).length;
    expect((await requestReset(email)).status).toBe(202);
    await waitFor('the reset mail', () => smtp.to(email).length > before);
    const mail = smtp.to(email).at(-1)!;
    expect(mail.subject).toMatch(/password reset/i);
    const code = /code: (\d{8})/.exec(mail.text)?.[1];
    if (!code) throw new Error(`no code in ${mail.text}`);
    return code;
  }

  it('sets the new password and kills every old refresh token', async () => {
    const user = await registerUser(server);
    const second = await call(server, 'POST', '/v1/auth/login', {
      body: { identifier: user.user.email, password: user.password },
    });
    expect(second.status).toBe(200);

    const code = await mailedCode(user.user.email);
    expect((await confirm(user.user.email, code, 'a brand new passphrase')).status).toBe(204);

    for (const refreshToken of [user.tokens.refreshToken, second.body.tokens.refreshToken]) {
      const refreshed = await call(server, 'POST', '/v1/auth/refresh', { body: { refreshToken } });
      expect(refreshed.status).toBe(401);
    }
    const oldLogin = await call(server, 'POST', '/v1/auth/login', {
      body: { identifier: user.user.email, password: user.password },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await call(server, 'POST', '/v1/auth/login', {
      body: { identifier: user.user.username, password: 'a brand new passphrase' },
    });
    expect(newLogin.status).toBe(200);
  });

  it('refuses a spent code (400) and a wrong one (400)', async () => {
    const user = await registerUser(server);
    const code = await mailedCode(user.user.email);
    const wrong = code === '00000000' ? '00000001' : '00000000';
    const wrongAnswer = await confirm(user.user.email, wrong, 'another passphrase');
    expect(wrongAnswer.status).toBe(400);
    expect(wrongAnswer.body.error.code).toBe('bad_request');

    expect((await confirm(user.user.email, code, 'another passphrase')).status).toBe(204);
    expect((await confirm(user.user.email, code, 'yet another passphrase')).status).toBe(400);
  });

  it('only the newest mailed code works', async () => {
    const user = await registerUser(server);
    const first = await mailedCode(user.user.email);
    const second = await mailedCode(user.user.email);
    if (first !== second) expect((await confirm(user.user.email, first, 'passphrase one')).status).toBe(400);
    expect((await confirm(user.user.email, second, 'passphrase two')).status).toBe(204);
  });

  it('checks the new password like registration does', async () => {
    const user = await registerUser(server);
    const code = await mailedCode(user.user.email);
    const answer = await confirm(user.user.email, code, 'short');
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/password/);
    // The code was not spent by the refused attempt.
    expect((await confirm(user.user.email, code, 'long enough now')).status).toBe(204);
  });

  it('answers 202 for an unknown email and mails nobody', async () => {
    const known = await registerUser(server);
    const email = `${uniqueName('ghost')}@example.org`;
    expect((await requestReset(email)).status).toBe(202);
    expect((await confirm(email, '12345678', 'whatever passphrase')).status).toBe(400);
    // A mail for a known account sent afterwards arrives alone: nothing went to the unknown one.
    await mailedCode(known.user.email);
    expect(smtp.to(email)).toEqual([]);
  });

  it('throttles guesses at one account with 429 and Retry-After', async () => {
    const user = await registerUser(server);
    await mailedCode(user.user.email);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    // Twice the limit: the one-minute window may roll over once while this runs.
    for (let attempt = 0; attempt <= 2 * RESET_LIMITS.confirmationsPerAccount; attempt++) {
      const answer = await confirm(user.user.email, '99999999', 'some passphrase');
      statuses.push(answer.status);
      if (answer.status === 429) {
        retryAfter = answer.headers.get('retry-after');
        break;
      }
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((status) => status === 400).length).toBeGreaterThanOrEqual(
      RESET_LIMITS.confirmationsPerAccount,
    );
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('throttles requests from one address with 429 (last: it spends the address budget)', async () => {
    let status = 0;
    for (let attempt = 0; attempt <= 2 * RESET_LIMITS.requestsPerIp && status !== 429; attempt++) {
      status = (await requestReset(`${uniqueName('flood')}@example.org`)).status;
    }
    expect(status).toBe(429);
  });
});
