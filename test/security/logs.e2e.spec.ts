import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeParley, type Parley } from '../../app/compose.js';
import { loadConfig } from '../../infra/config/config.js';
import { createLogger } from '../../infra/logging/logger.js';
import { ApiClient, registerUser } from '../support/api-client.js';
import { createTestDatabase } from '../support/postgres.js';
import { WsClient } from '../support/ws-client.js';
import { cheapHashingFeatures } from './support/security-server.js';

/*
 * Secrets never reach the logs: a server logging at `info` into a stream the test
 * reads, taken through every path a token or password travels, then the log is
 * searched for each of them.
 */

const PASSWORD = 'correct horse battery staple';

describe('the logs', () => {
  const lines: string[] = [];
  let parley: Parley;
  let baseUrl: string;
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'parley-logs-'));
    database = await createTestDatabase('logs');
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'debug',
      REDIS_KEY_PREFIX: `parley:test:${path.basename(dataDir)}:`,
    });
    const logger = createLogger(config.LOG_LEVEL, { write: (line: string) => void lines.push(line) });
    parley = await composeParley(config, logger, cheapHashingFeatures);
    baseUrl = await parley.listen();
  });
  afterAll(async () => {
    await parley?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('never hold an access token, a refresh token or a password, whatever path they took', async () => {
    const anonymous = new ApiClient(baseUrl);
    const secrets: string[] = [PASSWORD];

    const alice = await registerUser(anonymous, 'alice');
    secrets.push(alice.token, alice.refreshToken);
    const login = await anonymous.post('/v1/auth/login', { identifier: alice.username, password: PASSWORD });
    expect(login.status).toBe(200);
    secrets.push(login.body.tokens.accessToken, login.body.tokens.refreshToken);
    const wrong = await anonymous.post('/v1/auth/login', {
      identifier: alice.username,
      password: 'hunter2 is wrong',
    });
    expect(wrong.status).toBe(401);
    secrets.push('hunter2 is wrong');

    const refreshed = await anonymous.post('/v1/auth/refresh', {
      refreshToken: login.body.tokens.refreshToken,
    });
    expect(refreshed.status).toBe(200);
    secrets.push(refreshed.body.tokens.accessToken, refreshed.body.tokens.refreshToken);
    // A spent refresh token comes back: the family is revoked (and that is logged).
    expect(
      (await anonymous.post('/v1/auth/refresh', { refreshToken: login.body.tokens.refreshToken })).status,
    ).toBe(401);

    expect((await alice.api.get('/v1/me')).status).toBe(200);
    expect((await new ApiClient(baseUrl, 'not.a.token').get('/v1/me')).status).toBe(401);
    // A body that fails validation, carrying a password.
    const invalid = await anonymous.post('/v1/auth/register', {
      email: 'x',
      username: 'x',
      password: PASSWORD,
    });
    expect(invalid.status).toBe(400);

    for (const tokenInQuery of [true, false]) {
      const socket = await WsClient.connect(baseUrl, { token: alice.token, tokenInQuery });
      await socket.ping();
      await socket.close();
    }
    const refusedSocket = await WsClient.connect(baseUrl, { token: `${alice.token}x`, tokenInQuery: true });
    expect((await refusedSocket.closed).code).toBe(4401);
    secrets.push(`${alice.token}x`);

    expect(
      (await anonymous.post('/v1/auth/logout', { refreshToken: refreshed.body.tokens.refreshToken })).status,
    ).toBe(204);

    const log = lines.join('');
    // The log is not empty: requests were logged, refusals too.
    expect(log).toContain('/v1/auth/login');
    expect(log).toContain('/v1/auth/refresh');
    for (const secret of secrets) {
      expect(log.includes(secret), `a secret (${secret.slice(0, 12)}…) is in the logs`).toBe(false);
    }
    // Nor any JWT-looking string at all.
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/);
  });
});
