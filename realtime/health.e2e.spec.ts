import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { waitFor } from '../test/support/wait-for.js';
import { WsClient } from '../test/support/ws-client.js';

/** A sample from the server's /metrics, 0 when absent. */
async function readMetric(server: TestServer, line: string): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('WebSocket limits and health', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const clients: WsClient[] = [];
  const track = (client: WsClient) => {
    clients.push(client);
    return client;
  };
  const metric = (line: string) => readMetric(server, line);

  beforeAll(async () => {
    server = await startTestServer('postgres', {
      WS_HEARTBEAT_SECONDS: '1',
      // Five frames, then (practically) none: the refill is one frame every 1,000 s.
      WS_RATE_LIMIT_PER_SECOND: '0.001',
      WS_RATE_LIMIT_BURST: '5',
    });
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous, 'alice'), registerUser(anonymous, 'bob')]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  it('answers frames past the rate limit with rate_limited, each with its id', async () => {
    const client = track(await WsClient.connect(server.baseUrl, { token: alice.token }));
    for (let index = 0; index < 8; index += 1) client.send({ type: 'ping', id: `p${index}`, data: {} });
    const answers = await client.collect((frame) => frame.id !== undefined, 8, 'answers');
    expect(answers.filter((frame) => frame.type === 'pong')).toHaveLength(5);
    const refused = answers.filter((frame) => frame.type === 'error');
    expect(refused.map((frame) => frame.data.code)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
    expect(new Set(answers.map((frame) => frame.id)).size).toBe(8);
    expect(await metric('parley_ws_rate_limited_frames_total')).toBeGreaterThanOrEqual(3);
  });

  it('drops a peer that stops answering pings, and keeps one that answers', async () => {
    const dead = track(await WsClient.connect(server.baseUrl, { token: alice.token, autoPong: false }));
    const healthy = track(await WsClient.connect(server.baseUrl, { token: bob.token }));
    expect((await dead.closed).code).toBe(1006);
    await healthy.ping();
    expect(await metric('parley_ws_closed_by_server_total{reason="heartbeat"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('WebSocket slow consumers and shutdown', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const clients: WsClient[] = [];
  const track = (client: WsClient) => {
    clients.push(client);
    return client;
  };
  const metric = (line: string) => readMetric(server, line);

  beforeAll(async () => {
    server = await startTestServer('postgres', {
      WS_SEND_BUFFER_BYTES: '65536',
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    });
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous, 'alice'), registerUser(anonymous, 'bob')]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  it('closes a consumer that stops reading once its send buffer is full, with 4008', async () => {
    const created = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id] });
    const conversationId = created.body.id as string;
    const slow = track(await WsClient.ready(server.baseUrl, bob.token));
    slow.socket.pause(); // reads nothing more: the kernel's buffers fill, then the server's
    const body = 'x'.repeat(10_000);
    const closedBySlowness = () => metric('parley_ws_closed_by_server_total{reason="slow_consumer"}');
    await waitFor(
      'the server to give up on the slow consumer',
      async () => {
        await Promise.all(
          Array.from({ length: 20 }, () =>
            alice.api.post(`/v1/conversations/${conversationId}/messages`, {
              clientMsgId: randomUUID(),
              body,
            }),
          ),
        );
        return (await closedBySlowness()) >= 1;
      },
      60_000,
    );
    slow.socket.resume();
    expect(await slow.closed).toMatchObject({ code: 4008 });
  });

  it('on shutdown sends every client a system.notice, then closes with 1001', async () => {
    const client = track(await WsClient.ready(server.baseUrl, bob.token));
    await server.close();
    const closed = await client.closed;
    expect(closed.code).toBe(1001);
    expect(client.frames.at(-1)).toMatchObject({ type: 'system.notice' });
  });
});
