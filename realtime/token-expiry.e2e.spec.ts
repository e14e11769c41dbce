import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { WsClient } from '../test/support/ws-client.js';

describe('a WebSocket whose access token expires', () => {
  let server: TestServer;
  let alice: RegisteredUser;

  beforeAll(async () => {
    server = await startTestServer('embedded', { ACCESS_TOKEN_TTL_SECONDS: '2' });
    alice = await registerUser(new ApiClient(server.baseUrl), 'alice');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('works until then, and is closed with 4401 when the token expires', async () => {
    const client = await WsClient.ready(server.baseUrl, alice.token);
    await client.ping();
    const closed = await client.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/expired/);
  });

  it('refuses the expired token on a new connection too', async () => {
    const client = await WsClient.connect(server.baseUrl, { token: alice.token });
    expect((await client.closed).code).toBe(4401);
  });
});
