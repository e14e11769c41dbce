import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFeature } from '../../app/features/accounts.feature.js';
import { startSmtpCapture, type SmtpCapture } from '../../infra/mail/testing/smtp-capture.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { waitFor } from '../../test/support/wait-for.js';
import { call, registerUser, TEST_PASSWORD_HASH_COST } from './testing/accounts-server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_SECONDS = 2;

describe.each<{ label: string; environment: Record<string, string> }>([
  { label: 'codes in PostgreSQL', environment: {} },
  { label: 'codes in Redis', environment: { REDIS_URL } },
])('an expired password reset code ($label)', ({ environment }) => {
  let smtp: SmtpCapture;
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer(
      'postgres',
      { ...environment, SMTP_URL: smtp.url, PASSWORD_RESET_CODE_TTL_SECONDS: String(TTL_SECONDS) },
      [accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST })],
    );
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('is refused with 400 and leaves the password as it was; the mail says how long it works', async () => {
    const user = await registerUser(server);
    const { email } = user.user;
    expect((await call(server, 'POST', '/v1/auth/password-reset', { body: { email } })).status).toBe(202);
    await waitFor('the reset mail', () => smtp.to(email).length > 0);
    const mail = smtp.to(email)[0]!;
    expect(mail.text).toContain(`for ${TTL_SECONDS} seconds`);
    const code = /code: (\d{8})/.exec(mail.text)![1]!;

    // Past the code's lifetime (the wait is the point of the test, not a measure of speed).
    await sleep(TTL_SECONDS * 1000 + 500);
    const answer = await call(server, 'POST', '/v1/auth/password-reset/confirm', {
      body: { email, code, newPassword: 'a brand new passphrase' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/expired/);
    const login = await call(server, 'POST', '/v1/auth/login', {
      body: { identifier: email, password: user.password },
    });
    expect(login.status).toBe(200);
  });
});
