import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMode, TestServer } from '../../test/support/server.js';
import {
  call,
  forgeJwt,
  registerUser,
  serverJwtSecret,
  startAccountsServer,
  uniqueName,
} from './testing/accounts-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each<TestMode>(['embedded', 'postgres'])('accounts and sessions (%s)', (mode) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startAccountsServer(mode);
  });
  afterAll(async () => {
    await server?.close();
  });

  const userEventCount = async () =>
    (await server.parley.infrastructure.eventStore.readAll({ filter: { streamPrefixes: ['user-'] } })).length;

  describe('registering', () => {
    it('answers 201 with the new user as Me and tokens that sign them in', async () => {
      const username = uniqueName('Ada');
      const response = await call(server, 'POST', '/v1/auth/register', {
        body: {
          email: `  ${username}@Example.ORG `,
          username,
          password: 'correct horse battery staple',
          displayName: '  Ada Lovelace ',
        },
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        user: {
          id: expect.stringMatching(UUID),
          username: username.toLowerCase(),
          displayName: 'Ada Lovelace',
          email: `${username.toLowerCase()}@example.org`,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
        tokens: { accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 },
      });

      const me = await call(server, 'GET', '/v1/me', { token: response.body.tokens.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toEqual(response.body.user);
    });

    it('records the registration as a UserRegistered event with its audit metadata', async () => {
      const { user } = await registerUser(server);
      const [event] = await server.parley.infrastructure.eventStore.readStream(`user-${user.id}`);
      expect(event).toMatchObject({
        type: 'UserRegistered',
        revision: 0,
        data: { userId: user.id, username: user.username, displayName: user.displayName },
        metadata: { schemaVersion: 1, actorId: user.id, correlationId: expect.any(String) },
      });
      expect(JSON.stringify([event?.data, event?.metadata])).not.toContain(user.email);
    });

    it('refuses an email that is taken, whatever its case, with 409 naming it, and writes nothing', async () => {
      const taken = await registerUser(server);
      const before = await userEventCount();
      const response = await call(server, 'POST', '/v1/auth/register', {
        body: {
          email: taken.user.email.toUpperCase(),
          username: uniqueName(),
          password: 'long enough',
          displayName: 'Twin',
        },
      });
      expect(response.status).toBe(409);
      expect(response.body.error).toEqual({ code: 'conflict', message: expect.stringContaining('email') });
      expect(await userEventCount()).toBe(before);
    });

    it('refuses a username that is taken, whatever its case, with 409 naming it', async () => {
      const taken = await registerUser(server);
      const response = await call(server, 'POST', '/v1/auth/register', {
        body: {
          email: `${uniqueName()}@example.org`,
          username: taken.user.username.toUpperCase(),
          password: 'long enough',
          displayName: 'Twin',
        },
      });
      expect(response.status).toBe(409);
      expect(response.body.error).toEqual({ code: 'conflict', message: expect.stringContaining('username') });
    });

    it.each([
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['a password shorter than 8 characters', { password: 'short' }, 'password'],
      ['a password longer than 256 characters', { password: 'p'.repeat(257) }, 'password'],
      ['a username with a dash', { username: 'ada-lovelace' }, 'username'],
      ['a username shorter than 3 characters', { username: 'ab' }, 'username'],
      ['a blank display name', { displayName: '   ' }, 'displayName'],
    ])('refuses %s with 400 naming the field', async (_, override, field) => {
      const username = uniqueName();
      const response = await call(server, 'POST', '/v1/auth/register', {
        body: {
          email: `${username}@example.org`,
          username,
          password: 'long enough',
          displayName: 'Someone',
          ...override,
        },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: 'bad_request',
        message: expect.stringContaining(field),
        details: { field },
      });
    });

    it('refuses a body without a field, naming it', async () => {
      const response = await call(server, 'POST', '/v1/auth/register', {
        body: { email: 'a@example.org', username: uniqueName(), displayName: 'No Password' },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: 'bad_request',
        message: expect.stringContaining('password'),
      });
    });

    it('answers malformed JSON with bad_request', async () => {
      const response = await call(server, 'POST', '/v1/auth/register', { body: '{"email": ' });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
    });

    it('answers a body over 256 KiB with payload_too_large', async () => {
      const response = await call(server, 'POST', '/v1/auth/register', {
        body: {
          email: 'big@example.org',
          username: uniqueName(),
          password: 'x'.repeat(257 * 1024),
          displayName: 'Big',
        },
      });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
    });
  });

  describe('signing in', () => {
    it('accepts the email or the username, in any case, and answers Me and tokens', async () => {
      const registered = await registerUser(server);
      for (const identifier of [
        registered.user.email,
        registered.user.email.toUpperCase(),
        registered.user.username.toUpperCase(),
      ]) {
        const response = await call(server, 'POST', '/v1/auth/login', {
          body: { identifier, password: registered.password },
        });
        expect(response.status).toBe(200);
        expect(response.body.user).toEqual(registered.user);
        const me = await call(server, 'GET', '/v1/me', { token: response.body.tokens.accessToken });
        expect(me.body.id).toBe(registered.user.id);
      }
    });

    it('answers a wrong password and an unknown user with the same 401', async () => {
      const registered = await registerUser(server);
      const wrongPassword = await call(server, 'POST', '/v1/auth/login', {
        body: { identifier: registered.user.username, password: 'not the password' },
      });
      const unknownUser = await call(server, 'POST', '/v1/auth/login', {
        body: { identifier: `${uniqueName()}@example.org`, password: registered.password },
      });
      const unknownName = await call(server, 'POST', '/v1/auth/login', {
        body: { identifier: uniqueName(), password: registered.password },
      });
      expect(wrongPassword.status).toBe(401);
      expect(wrongPassword.body).toEqual({
        error: { code: 'unauthorized', message: expect.any(String) },
      });
      expect(unknownUser.status).toBe(401);
      expect(unknownUser.body).toEqual(wrongPassword.body);
      expect(unknownName.body).toEqual(wrongPassword.body);
    });
  });

  describe('refreshing', () => {
    const refresh = (refreshToken: string) =>
      call(server, 'POST', '/v1/auth/refresh', { body: { refreshToken } });

    it('answers new tokens, and the refresh token it was given stops working', async () => {
      const { tokens } = await registerUser(server);
      const first = await refresh(tokens.refreshToken);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        tokens: { accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 },
      });
      expect(first.body.tokens.refreshToken).not.toBe(tokens.refreshToken);
      expect((await call(server, 'GET', '/v1/me', { token: first.body.tokens.accessToken })).status).toBe(
        200,
      );

      const again = await refresh(tokens.refreshToken);
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe('unauthorized');
    });

    it('revokes the whole family when a spent token is presented: the newest one stops working too', async () => {
      const { tokens } = await registerUser(server);
      const second = (await refresh(tokens.refreshToken)).body.tokens.refreshToken as string;
      const third = (await refresh(second)).body.tokens.refreshToken as string;

      expect((await refresh(tokens.refreshToken)).status).toBe(401);
      expect((await refresh(third)).status).toBe(401);
    });

    it('lets exactly one of two concurrent refreshes with one token succeed', async () => {
      const { tokens } = await registerUser(server);
      const answers = await Promise.all([refresh(tokens.refreshToken), refresh(tokens.refreshToken)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    });

    it('leaves other sessions of the same user alone', async () => {
      const registered = await registerUser(server);
      const other = await call(server, 'POST', '/v1/auth/login', {
        body: { identifier: registered.user.username, password: registered.password },
      });
      await refresh(registered.tokens.refreshToken);
      await refresh(registered.tokens.refreshToken); // reuse: this family is revoked
      expect((await refresh(other.body.tokens.refreshToken)).status).toBe(200);
    });

    it('answers an unknown refresh token with 401', async () => {
      expect((await refresh('never-issued')).status).toBe(401);
    });
  });

  describe('signing out', () => {
    it('answers 204, and the refresh token then fails with 401', async () => {
      const { tokens } = await registerUser(server);
      const response = await fetch(`${server.baseUrl}/v1/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: tokens.refreshToken }),
      });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      const after = await call(server, 'POST', '/v1/auth/refresh', {
        body: { refreshToken: tokens.refreshToken },
      });
      expect(after.status).toBe(401);
    });

    it('answers 204 for an unknown token too', async () => {
      const response = await call(server, 'POST', '/v1/auth/logout', {
        body: { refreshToken: 'never-issued' },
      });
      expect(response.status).toBe(204);
    });
  });

  describe('access tokens', () => {
    const me = (token?: string) => call(server, 'GET', '/v1/me', { token });
    const header = { alg: 'HS256', typ: 'JWT' };
    const claims = (userId: string, username: string, ttlSeconds = 600) => {
      const now = Math.floor(Date.now() / 1000);
      return { sub: userId, username, aud: 'parley:access', iss: 'parley', iat: now, exp: now + ttlSeconds };
    };

    it('accepts a token signed with the server key (the forging helper is sound)', async () => {
      const { user } = await registerUser(server);
      const token = forgeJwt(header, claims(user.id, user.username), await serverJwtSecret(server));
      expect((await me(token)).status).toBe(200);
    });

    it.each([
      ['no token', async () => undefined],
      ['a garbage token', async () => 'not.a.jwt'],
      [
        'an expired token',
        async (id: string, name: string, secret: Buffer) => forgeJwt(header, claims(id, name, -60), secret),
      ],
      [
        'an unsigned token (alg none)',
        async (id: string, name: string) =>
          forgeJwt({ alg: 'none', typ: 'JWT' }, claims(id, name), undefined),
      ],
      [
        'a token signed with another key',
        async (id: string, name: string) =>
          forgeJwt(header, claims(id, name), 'another secret of 32 characters or more'),
      ],
      [
        'a token of another algorithm with the right key',
        async (id: string, name: string, secret: Buffer) =>
          forgeJwt({ alg: 'HS512', typ: 'JWT' }, claims(id, name), secret),
      ],
      [
        'a token for another audience',
        async (id: string, name: string, secret: Buffer) =>
          forgeJwt(header, { ...claims(id, name), aud: 'something-else' }, secret),
      ],
      [
        'a token whose subject is not a user id',
        async (_: string, name: string, secret: Buffer) => forgeJwt(header, claims('admin', name), secret),
      ],
    ])('refuses %s on GET /v1/me with 401', async (_, makeToken) => {
      const { user } = await registerUser(server);
      const token = await makeToken(user.id, user.username, await serverJwtSecret(server));
      const response = await me(token);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    });

    it('refuses a malformed Authorization header', async () => {
      const { tokens } = await registerUser(server);
      const response = await fetch(`${server.baseUrl}/v1/me`, {
        headers: { authorization: `Token ${tokens.accessToken}` },
      });
      expect(response.status).toBe(401);
    });
  });

  it('documents the routes in the OpenAPI document, the auth routes as public', async () => {
    const response = await call(server, 'GET', '/docs/json');
    const paths = response.body.paths as Record<string, Record<string, { security?: unknown[] }>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/register',
        '/v1/auth/login',
        '/v1/me',
        '/v1/users',
        '/v1/users/{id}',
      ]),
    );
    expect(paths['/v1/auth/login']?.post?.security).toEqual([]);
  });
});
