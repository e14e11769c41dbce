import type { FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFeature } from '../../app/features/accounts.feature.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { authenticate, requireUser } from './authenticate.js';
import { call, registerUser, TEST_PASSWORD_HASH_COST } from './testing/accounts-server.js';

/** What another feature (conversations) does: its own plugin scope, guarded by the exported hook. */
const guardedBeforeAccounts: FastifyPluginAsync = async (app) => {
  app.addHook('preHandler', authenticate);
  app.get('/v1/test/whoami-early', async (request) => requireUser(request));
};
const guardedAfterAccounts: FastifyPluginAsync = async (app) => {
  app.addHook('preHandler', app.authenticate);
  app.get('/v1/test/whoami-late', async (request) => requireUser(request));
};
const unguarded: FastifyPluginAsync = async (app) => {
  app.get('/v1/test/unguarded', async (request) => requireUser(request));
};

describe('the authenticate hook in another feature', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('embedded', {}, [
      () => ({ routes: guardedBeforeAccounts }),
      accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST }),
      () => ({ routes: guardedAfterAccounts }),
      () => ({ routes: unguarded }),
    ]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sets request.user in a plugin registered before or after the accounts feature', async () => {
    const { user, tokens } = await registerUser(server);
    for (const path of ['/v1/test/whoami-early', '/v1/test/whoami-late']) {
      const response = await call(server, 'GET', path, { token: tokens.accessToken });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id: user.id, username: user.username });
      expect((await call(server, 'GET', path)).status).toBe(401);
    }
  });

  it('does not leak into plugins that did not ask for it: requireUser answers 401 there', async () => {
    const { tokens } = await registerUser(server);
    const response = await call(server, 'GET', '/v1/test/unguarded', { token: tokens.accessToken });
    expect(response.status).toBe(401);
  });
});
