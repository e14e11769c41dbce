import { spawn } from 'node:child_process';
import {
  createHmac,
  createPublicKey,
  createSign,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverJwtSecret } from '../../gateway/auth/testing/accounts-server.js';
import { SqlAccountStore } from '../../infra/accounts/account-store.js';
import { ConfigError, loadConfig } from '../../infra/config/config.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import type { TestServer } from '../support/server.js';
import { WsClient } from '../support/ws-client.js';
import { startSecurityServer } from './support/security-server.js';

/*
 * Access tokens an attacker can make: each must be refused over REST (401
 * unauthorized) and over the WebSocket (closed with 4401), while the server's own
 * tokens are accepted (so every refusal below is about the one thing changed).
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

function hmacToken(header: object, payload: object, key: Buffer | string, hash = 'sha256'): string {
  const unsigned = `${encode(header)}.${encode(payload)}`;
  return `${unsigned}.${createHmac(hash, key).update(unsigned).digest('base64url')}`;
}

function rsaToken(header: object, payload: object, privateKey: string): string {
  const unsigned = `${encode(header)}.${encode(payload)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url')}`;
}

const attacker = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const attackerJwk = createPublicKey(attacker.publicKey).export({ format: 'jwk' });

const HS256 = { alg: 'HS256', typ: 'JWT' };

describe('JWT access tokens under attack', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let secret: Buffer;

  beforeAll(async () => {
    server = await startSecurityServer();
    alice = await registerUser(new ApiClient(server.baseUrl), 'alice');
    secret = await serverJwtSecret(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  const claims = (overrides: Record<string, unknown> = {}, userId = alice.id) => {
    const now = Math.floor(Date.now() / 1000);
    const all: Record<string, unknown> = {
      sub: userId,
      username: alice.username,
      aud: 'parley:access',
      iss: 'parley',
      iat: now,
      exp: now + 600,
      ...overrides,
    };
    for (const [name, value] of Object.entries(all)) if (value === undefined) delete all[name];
    return all;
  };

  /** 401 over REST and 4401 over the WebSocket (header and query alike). */
  async function expectRefused(token: string) {
    const me = await new ApiClient(server.baseUrl, token).get('/v1/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthorized');
    const send = await new ApiClient(server.baseUrl, token).post('/v1/conversations', {
      kind: 'group',
      memberIds: [],
    });
    expect(send.status).toBe(401);
    for (const tokenInQuery of [false, true]) {
      const socket = await WsClient.connect(server.baseUrl, { token, tokenInQuery });
      expect((await socket.closed).code).toBe(4401);
    }
  }

  it("accepts the server's own token and a hand-made one with every claim right (the control)", async () => {
    expect((await alice.api.get('/v1/me')).status).toBe(200);
    const forged = hmacToken(HS256, claims(), secret);
    expect((await new ApiClient(server.baseUrl, forged).get('/v1/me')).status).toBe(200);
    const socket = await WsClient.connect(server.baseUrl, { token: forged });
    await socket.ping();
    await socket.close();
  });

  it('signs its tokens with HS256, an issuer, an audience and an expiry', () => {
    const [header, payload] = alice.token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header).toMatchObject({ alg: 'HS256' });
    expect(payload).toMatchObject({
      sub: alice.id,
      iss: 'parley',
      aud: 'parley:access',
      exp: expect.any(Number),
    });
  });

  it.each<[string, () => string]>([
    ['alg "none", unsigned', () => `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.`],
    ['alg "None" with a signature', () => hmacToken({ alg: 'None', typ: 'JWT' }, claims(), secret)],
    [
      'HS256 keyed with a public key (algorithm confusion)',
      () => hmacToken(HS256, claims(), attacker.publicKey),
    ],
    [
      'RS256 signed with a key of its own',
      () => rsaToken({ alg: 'RS256', typ: 'JWT' }, claims(), attacker.privateKey),
    ],
    ['HS512 with the right key', () => hmacToken({ alg: 'HS512', typ: 'JWT' }, claims(), secret, 'sha512')],
    ['no exp', () => hmacToken(HS256, claims({ exp: undefined }), secret)],
    [
      'expired a minute ago',
      () => hmacToken(HS256, claims({ exp: Math.floor(Date.now() / 1000) - 60 }), secret),
    ],
    [
      'not valid before next hour',
      () => hmacToken(HS256, claims({ nbf: Math.floor(Date.now() / 1000) + 3600 }), secret),
    ],
    ['no iss', () => hmacToken(HS256, claims({ iss: undefined }), secret)],
    ['a foreign iss', () => hmacToken(HS256, claims({ iss: 'https://evil.example' }), secret)],
    ['no aud', () => hmacToken(HS256, claims({ aud: undefined }), secret)],
    ['a foreign aud', () => hmacToken(HS256, claims({ aud: 'parley:refresh' }), secret)],
    ['no sub', () => hmacToken(HS256, claims({ sub: undefined }), secret)],
    [
      'an embedded jwk with its own key (RS256)',
      () => rsaToken({ alg: 'RS256', typ: 'JWT', jwk: attackerJwk }, claims(), attacker.privateKey),
    ],
    [
      'an embedded symmetric jwk with its own key (HS256)',
      () => {
        const key = randomBytes(32);
        return hmacToken({ ...HS256, jwk: { kty: 'oct', k: key.toString('base64url') } }, claims(), key);
      },
    ],
    [
      'a jku pointing at a key set of its own',
      () =>
        rsaToken(
          { alg: 'RS256', typ: 'JWT', jku: 'https://evil.example/jwks.json' },
          claims(),
          attacker.privateKey,
        ),
    ],
    [
      'a kid naming an empty file, signed with an empty key',
      () => hmacToken({ ...HS256, kid: '../../../../dev/null' }, claims(), ''),
    ],
    [
      'a kid with SQL, signed with another key',
      () => hmacToken({ ...HS256, kid: "x' union select 'k" }, claims(), 'k'),
    ],
  ])('refuses a token with %s', async (_, makeToken) => {
    await expectRefused(makeToken());
  });

  it('refuses a correctly signed token of a user that does not exist', async () => {
    await expectRefused(hmacToken(HS256, claims({}, randomUUID()), secret));
  });

  it('refuses the still-unexpired token of a deleted account', async () => {
    const doomed = await registerUser(new ApiClient(server.baseUrl), 'doomed');
    expect((await doomed.api.get('/v1/me')).status).toBe(200);
    await new SqlAccountStore(server.parley.infrastructure.sql).delete(doomed.id);
    await expectRefused(doomed.token);
  });

  it('revokes the whole refresh family when a rotated-out refresh token comes back', async () => {
    const bob = await registerUser(new ApiClient(server.baseUrl), 'bob');
    const anonymous = new ApiClient(server.baseUrl);
    const first = await anonymous.post('/v1/auth/refresh', { refreshToken: bob.refreshToken });
    expect(first.status).toBe(200);
    const reused = await anonymous.post('/v1/auth/refresh', { refreshToken: bob.refreshToken });
    expect(reused.status).toBe(401);
    const newest = await anonymous.post('/v1/auth/refresh', { refreshToken: first.body.tokens.refreshToken });
    expect(newest.status).toBe(401);
  });
});

describe('the JWT secret in production mode', () => {
  it('is required by the configuration, with a message that names it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: required when NODE_ENV=production/,
    );
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toBe(
      'x'.repeat(32),
    );
    // Outside production a key is generated and kept in the database.
    expect(loadConfig({}).JWT_SECRET).toBeUndefined();
  });

  it('keeps `npm start` from starting: exit code 2, the reason on stderr', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'app/main.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: '0',
        DATA_DIR: path.join(root, 'data', 'never'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('JWT_SECRET: required when NODE_ENV=production');
  });
});
