import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startTestServer } from '../test/support/server.js';
import { waitFor } from '../test/support/wait-for.js';
import { WsClient } from '../test/support/ws-client.js';
import { createParleyProcess, type ParleyProcess, type ReadyBody } from './testing/parley-process.js';
import { ReadModelAudit } from './testing/read-model-audit.js';

describe('parley serve --role', () => {
  it('refuses a role it does not know with exit code 2', () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/parley.js');
    const run = spawnSync(process.execPath, [bin, 'serve', '--role', 'api,bogus'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown role bogus');
  });
});

describe('embedded mode', () => {
  it('runs every role in its one process, whatever PARLEY_ROLES says', async () => {
    const server = await startTestServer('embedded', { PARLEY_ROLES: 'api' });
    try {
      const ready = (await (await fetch(`${server.baseUrl}/ready`)).json()) as ReadyBody;
      expect(ready.roles).toEqual(['api', 'realtime', 'projector']);
      expect(ready.projector).toEqual({ running: true, lock: 'none' });
      const alice = await registerUser(new ApiClient(server.baseUrl), 'alice');
      const socket = await WsClient.ready(server.baseUrl, alice.token);
      await socket.close();
    } finally {
      await server.close();
    }
    // PGlite's first start runs every migration in WebAssembly: slow on a busy machine.
  }, 240_000);
});

describe('one process per role on one PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let audit: ReadModelAudit;
  let api: ParleyProcess;
  let realtime: ParleyProcess;
  let projector: ParleyProcess;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let conversationId: string;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('roles');
    audit = await ReadModelAudit.open(database.url);
    api = await createParleyProcess({ databaseUrl: database.url, roles: ['api'] });
    realtime = await createParleyProcess({ databaseUrl: database.url, roles: ['realtime'] });
    projector = await createParleyProcess({ databaseUrl: database.url, roles: ['projector'] });
    await Promise.all([api.start(), realtime.start(), projector.start()]);
    alice = await registerUser(new ApiClient(api.baseUrl), 'alice');
    bob = await registerUser(new ApiClient(api.baseUrl), 'bob');
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    conversationId = created.body.id as string;
  }, 400_000);

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await Promise.all([api, realtime, projector].map(async (child) => child?.dispose()));
    await audit?.close();
    await database?.drop();
  });

  it('says on /ready which roles each process runs, and which one projects', async () => {
    expect(await api.ready()).toMatchObject({ roles: ['api'], projector: { running: false, lock: 'none' } });
    expect(await realtime.ready()).toMatchObject({
      roles: ['realtime'],
      projector: { running: false, lock: 'none' },
    });
    expect(await projector.ready()).toMatchObject({
      roles: ['projector'],
      projector: { running: true, lock: 'held' },
    });
  });

  it('reads its own writes on an api process while another process projects', async () => {
    for (let turn = 0; turn < 20; turn += 1) {
      const sent = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
        clientMsgId: randomUUID(),
        body: `turn ${turn}`,
      });
      expect(sent.status).toBe(201);
      // Answered only once the projector process committed it: the row is there already.
      expect((await audit.messageIds()).projected).toContain(sent.body.id);
      const history = await bob.api.get(`/v1/conversations/${conversationId}/messages?limit=5`);
      expect(history.body.items.map((message: { id: string }) => message.id)).toContain(sent.body.id);
    }
  });

  it('serves the WebSocket on a realtime process, whose sends the api process then reads', async () => {
    const socket = await WsClient.ready(realtime.baseUrl, alice.token);
    sockets.push(socket);
    const ack = await socket.request('message.send', {
      conversationId,
      clientMsgId: randomUUID(),
      body: 'over the socket',
    });
    expect(ack.type).toBe('ack');
    // A socket send is acked before the read models have it: the projector process adds it soon after.
    await waitFor('the api process to read the socket send', async () => {
      const history = await bob.api.get(`/v1/conversations/${conversationId}/messages?limit=5`);
      return history.body.items.some((message: { body: string }) => message.body === 'over the socket');
    });
    // Moving a read marker answers from the read models, so it waits for the projector process.
    const bobSocket = await WsClient.ready(realtime.baseUrl, bob.token);
    sockets.push(bobSocket);
    const marked = await bobSocket.request('message.read', { conversationId, seq: ack.data.seq });
    expect(marked.type).toBe('ack');
    expect(marked.data).toMatchObject({ readSeq: ack.data.seq, unreadCount: 0 });
  });

  it('answers 404 to REST routes on a realtime process', async () => {
    const onRealtime = new ApiClient(realtime.baseUrl, alice.token);
    expect((await onRealtime.get('/v1/conversations')).status).toBe(404);
    expect((await onRealtime.get('/v1/me')).status).toBe(404);
    expect((await new ApiClient(realtime.baseUrl).post('/v1/auth/login', {})).status).toBe(404);
  });

  it('serves the web client on the api process only', async () => {
    // 200 whether the client is built (its page) or not (how to build it).
    expect((await fetch(`${api.baseUrl}/`)).status).toBe(200);
    expect((await fetch(`${realtime.baseUrl}/`)).status).toBe(404);
    expect((await fetch(`${projector.baseUrl}/`)).status).toBe(404);
  });

  it('answers 404 to the WebSocket on an api process, and to both on a projector process', async () => {
    await expect(WsClient.connect(api.baseUrl, { token: alice.token })).rejects.toThrow('HTTP 404');
    await expect(WsClient.connect(projector.baseUrl, { token: alice.token })).rejects.toThrow('HTTP 404');
    expect((await new ApiClient(projector.baseUrl, alice.token).get('/v1/conversations')).status).toBe(404);
  });
});
