import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMode, TestServer } from '../../test/support/server.js';
import {
  call,
  registerUser,
  startAccountsServer,
  uniqueName,
  type Registered,
} from '../auth/testing/accounts-server.js';

describe.each<TestMode>(['embedded', 'postgres'])('profiles and users (%s)', (mode) => {
  let server: TestServer;
  let ada: Registered;
  let bob: Registered;

  beforeAll(async () => {
    server = await startAccountsServer(mode);
    ada = await registerUser(server, { displayName: 'Ada Lovelace' });
    bob = await registerUser(server, { displayName: 'Bob Builder' });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('GET /v1/me', () => {
    it("answers the caller's own profile with their email", async () => {
      const response = await call(server, 'GET', '/v1/me', { token: ada.tokens.accessToken });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(ada.user);
    });

    it('needs an access token', async () => {
      const response = await call(server, 'GET', '/v1/me');
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    });
  });

  describe('PATCH /v1/me', () => {
    it('changes the display name, trimmed, and every read sees it at once', async () => {
      const carol = await registerUser(server, { displayName: 'Carol' });
      const response = await call(server, 'PATCH', '/v1/me', {
        token: carol.tokens.accessToken,
        body: { displayName: '  Carol Shaw ' },
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ ...carol.user, displayName: 'Carol Shaw' });

      // No polling: the command answered only once the read model had the change.
      const mine = await call(server, 'GET', '/v1/me', { token: carol.tokens.accessToken });
      expect(mine.body.displayName).toBe('Carol Shaw');
      const seenByBob = await call(server, 'GET', `/v1/users/${carol.user.id}`, {
        token: bob.tokens.accessToken,
      });
      expect(seenByBob.body.displayName).toBe('Carol Shaw');
      const found = await call(server, 'GET', '/v1/users?q=carol%20s', { token: bob.tokens.accessToken });
      expect(found.body.items.map((user: { id: string }) => user.id)).toEqual([carol.user.id]);
    });

    it('records the change as a UserProfileUpdated event, and nothing when the name is the same', async () => {
      const dave = await registerUser(server, { displayName: 'Dave' });
      await call(server, 'PATCH', '/v1/me', {
        token: dave.tokens.accessToken,
        body: { displayName: 'David' },
      });
      await call(server, 'PATCH', '/v1/me', {
        token: dave.tokens.accessToken,
        body: { displayName: 'David ' },
      });
      const unchanged = await call(server, 'PATCH', '/v1/me', { token: dave.tokens.accessToken, body: {} });
      expect(unchanged.status).toBe(200);
      expect(unchanged.body.displayName).toBe('David');
      const events = await server.parley.infrastructure.eventStore.readStream(`user-${dave.user.id}`);
      expect(events.map((event) => event.type)).toEqual(['UserRegistered', 'UserProfileUpdated']);
      expect(events[1]?.metadata).toMatchObject({ schemaVersion: 1, actorId: dave.user.id });
    });

    it('refuses an invalid display name with 400 naming the field', async () => {
      const response = await call(server, 'PATCH', '/v1/me', {
        token: ada.tokens.accessToken,
        body: { displayName: 'x'.repeat(65) },
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'bad_request', details: { field: 'displayName' } });
    });

    it('needs an access token', async () => {
      const response = await call(server, 'PATCH', '/v1/me', { body: { displayName: 'Nobody' } });
      expect(response.status).toBe(401);
    });
  });

  describe('GET /v1/users/:id', () => {
    it('answers another user without their email', async () => {
      const response = await call(server, 'GET', `/v1/users/${ada.user.id}`, {
        token: bob.tokens.accessToken,
      });
      expect(response.status).toBe(200);
      const { email: _email, ...publicProfile } = ada.user;
      expect(response.body).toEqual(publicProfile);
      expect(JSON.stringify(response.body)).not.toContain(ada.user.email);
    });

    it('answers 404 for an unknown id and for a malformed one', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const response = await call(server, 'GET', `/v1/users/${id}`, { token: bob.tokens.accessToken });
        expect(response.status).toBe(404);
        expect(response.body.error.code).toBe('not_found');
      }
    });

    it('needs an access token', async () => {
      expect((await call(server, 'GET', `/v1/users/${ada.user.id}`)).status).toBe(401);
    });
  });

  describe('GET /v1/users', () => {
    let prefix: string;
    beforeAll(async () => {
      prefix = uniqueName('s').slice(0, 8);
      await registerUser(server, { username: `${prefix}_b`, displayName: 'Second' });
      await registerUser(server, { username: `${prefix}_a`, displayName: 'First' });
      await registerUser(server, { username: uniqueName(), displayName: `${prefix.toUpperCase()} By Name` });
    });

    it('finds users by the start of the username or the display name, any case, ordered by username', async () => {
      const response = await call(server, 'GET', `/v1/users?q=${prefix.toUpperCase()}`, {
        token: ada.tokens.accessToken,
      });
      expect(response.status).toBe(200);
      const items = response.body.items as { username: string; displayName: string }[];
      expect(items).toHaveLength(3);
      expect(items.map((user) => user.username)).toEqual([...items.map((user) => user.username)].sort());
      expect(items.map((user) => user.displayName)).toEqual(
        expect.arrayContaining(['First', 'Second', `${prefix.toUpperCase()} By Name`]),
      );
    });

    it('never includes an email', async () => {
      const response = await call(server, 'GET', '/v1/users?limit=100', { token: ada.tokens.accessToken });
      for (const user of response.body.items)
        expect(Object.keys(user).sort()).toEqual(['createdAt', 'displayName', 'id', 'username']);
      expect(JSON.stringify(response.body)).not.toContain('@example.org');
    });

    it('lists users by username for an empty query, within the limit', async () => {
      const response = await call(server, 'GET', '/v1/users?limit=2', { token: ada.tokens.accessToken });
      expect(response.body.items).toHaveLength(2);
      const names = (response.body.items as { username: string }[]).map((user) => user.username);
      expect(names).toEqual([...names].sort());
    });

    it('lowers a limit over 100 to 100 and refuses one that is not a positive number', async () => {
      expect(
        (await call(server, 'GET', '/v1/users?limit=1000', { token: ada.tokens.accessToken })).status,
      ).toBe(200);
      const zero = await call(server, 'GET', '/v1/users?limit=0', { token: ada.tokens.accessToken });
      expect(zero.status).toBe(400);
      expect(zero.body.error.message).toContain('limit');
    });

    it('needs an access token', async () => {
      expect((await call(server, 'GET', '/v1/users')).status).toBe(401);
    });
  });
});
