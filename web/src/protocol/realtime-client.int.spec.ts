import { randomUUID } from 'node:crypto';
import { WebSocket } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { openTcpRelay, type TcpRelay } from '../../../test/support/tcp-relay.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { RealtimeClient, type WebSocketLike } from './realtime-client';
import { RestClient } from './rest-client';
import { memoryTokenStore } from './token-store';
import type { Me, ServerFrame } from './types';

let server: TestServer;
let relay: TcpRelay;
let alice: { rest: RestClient; me: Me };
let bob: { rest: RestClient; me: Me };
const started: RealtimeClient[] = [];

async function account(label: string) {
  const rest = new RestClient({ baseUrl: server.baseUrl, tokens: memoryTokenStore() });
  const name = `${label}${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const me = await rest.register({
    email: `${name}@example.test`,
    username: name,
    password: 'correct horse battery',
    displayName: label,
  });
  return { rest, me };
}

beforeAll(async () => {
  server = await startTestServer('embedded');
  // A relay the tests cut to play a network that goes away and comes back.
  relay = await openTcpRelay(new URL(server.baseUrl), 80);
  alice = await account('alice');
  bob = await account('bob');
  // Registration hashes passwords at OWASP's cost: slow on a busy machine.
}, 180_000);
afterEach(async () => {
  for (const client of started.splice(0)) client.stop();
  await relay.restore().catch(() => undefined);
});
afterAll(async () => {
  await relay?.close();
  await server?.close();
});

/** A started client for `who`, through the relay when asked, recording every frame. */
function connect(who: { rest: RestClient }, options: { viaRelay?: boolean; heartbeatMs?: number } = {}) {
  const client = new RealtimeClient({
    baseUrl: options.viaRelay ? relay.url : server.baseUrl,
    accessToken: () => who.rest.accessToken(),
    renewTokens: () => who.rest.refresh(),
    createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const frames: ServerFrame[] = [];
  client.onFrame((frame) => frames.push(frame));
  started.push(client);
  client.start();
  return { client, frames };
}

async function opened(client: RealtimeClient) {
  await waitFor('the socket to open', () => client.status === 'open');
  // The server has loaded the user's conversations once a ping is answered.
  await client.request('ping', {});
}

async function newGroup() {
  return alice.rest.createConversation({ kind: 'group', memberIds: [bob.me.id], title: randomUUID() });
}

function messageSeqs(frames: ServerFrame[], conversationId: string): number[] {
  return frames.flatMap((frame) =>
    frame.type === 'message.create' && frame.data.conversationId === conversationId
      ? [frame.data.message.seq]
      : [],
  );
}

describe('RealtimeClient', () => {
  it('sends a message that the other member receives live, acked with its seq', async () => {
    const conversation = await newGroup();
    const a = connect(alice);
    const b = connect(bob);
    await Promise.all([opened(a.client), opened(b.client)]);
    const clientMsgId = randomUUID();
    const ack = await a.client.sendMessage({ conversationId: conversation.id, clientMsgId, body: 'hi bob' });
    expect(ack).toMatchObject({ status: 'ok', seq: 1, duplicate: false });
    await waitFor('bob to get the message', () => messageSeqs(b.frames, conversation.id).length === 1);
    const frame = b.frames.find((f) => f.type === 'message.create');
    expect(frame?.type === 'message.create' && frame.data.message).toMatchObject({
      clientMsgId,
      body: 'hi bob',
    });
  });

  it('after the network comes back, syncs what was missed, once each and in order', async () => {
    const conversation = await newGroup();
    const b = connect(bob, { viaRelay: true });
    b.client.setCursor(conversation.id, conversation.lastRev);
    await opened(b.client);
    await relay.cut();
    await waitFor('bob to notice the drop', () => b.client.status !== 'open');
    for (const body of ['one', 'two', 'three'])
      await alice.rest.sendMessage(conversation.id, { clientMsgId: randomUUID(), body });
    await relay.restore();
    await waitFor('bob to catch up', () => messageSeqs(b.frames, conversation.id).length >= 3);
    await opened(b.client);
    expect(messageSeqs(b.frames, conversation.id)).toEqual([1, 2, 3]);
  });

  it('keeps a message sent while offline and delivers it once when the connection returns', async () => {
    const conversation = await newGroup();
    const a = connect(alice, { viaRelay: true });
    await opened(a.client);
    await relay.cut();
    await waitFor('alice to notice the drop', () => a.client.status !== 'open');
    const clientMsgId = randomUUID();
    const acked = a.client.sendMessage({
      conversationId: conversation.id,
      clientMsgId,
      body: 'sent offline',
    });
    expect(a.client.unacknowledged).toBe(1);
    await relay.restore();
    expect(await acked).toMatchObject({ status: 'ok', seq: 1 });
    expect(a.client.unacknowledged).toBe(0);
    const page = await bob.rest.listMessages(conversation.id);
    expect(page.items.map((message) => message.clientMsgId)).toEqual([clientMsgId]);
  });

  it('notices a dead link by its unanswered heartbeat and reconnects', async () => {
    const a = connect(alice, { viaRelay: true, heartbeatMs: 100 });
    await opened(a.client);
    const statuses: string[] = [];
    a.client.onStatus((status) => statuses.push(status));
    relay.stall();
    await waitFor('the heartbeat to give up', () => statuses.includes('closed'));
    relay.heal();
    await waitFor('the client to come back', () => a.client.status === 'open');
  });

  it('on a jump in revs, syncs the conversation from the last rev it saw', async () => {
    const conversation = await newGroup();
    for (const body of ['a', 'b'])
      await alice.rest.sendMessage(conversation.id, { clientMsgId: randomUUID(), body });
    const b = connect(bob);
    await opened(b.client);
    // As if the client had missed every event after the conversation was created.
    b.client.setCursor(conversation.id, conversation.lastRev);
    await alice.rest.sendMessage(conversation.id, { clientMsgId: randomUUID(), body: 'c' });
    await waitFor('the gap to be filled', () => messageSeqs(b.frames, conversation.id).length === 3);
    expect(messageSeqs(b.frames, conversation.id)).toEqual([1, 2, 3]);
    const revs = b.frames.flatMap((frame) =>
      'rev' in frame.data && frame.data.conversationId === conversation.id ? [frame.data.rev] : [],
    );
    expect(revs).toEqual([...revs].sort((x, y) => x! - y!));
    expect(new Set(revs).size).toBe(revs.length);
  });

  it('drops the socket when the device goes offline and reconnects at once when it is back', async () => {
    let sockets = 0;
    const client = new RealtimeClient({
      baseUrl: server.baseUrl,
      accessToken: () => alice.rest.accessToken(),
      renewTokens: () => alice.rest.refresh(),
      createSocket: (url) => {
        sockets += 1;
        return new WebSocket(url) as unknown as WebSocketLike;
      },
      // A backoff longer than the test's deadlines: only `setNetworkAvailable(true)` can bring it back.
      initialBackoffMs: 120_000,
    });
    started.push(client);
    client.start();
    await opened(client);
    client.setNetworkAvailable(false);
    expect(client.status).toBe('closed');
    client.setNetworkAvailable(true);
    await opened(client);
    expect(sockets).toBe(2);
  });

  it('renews the tokens and reconnects when the server refuses the token', async () => {
    let renewals = 0;
    let token: string | null = 'not-a-valid-token';
    const client = new RealtimeClient({
      baseUrl: server.baseUrl,
      accessToken: async () => token,
      renewTokens: async () => {
        renewals += 1;
        token = await alice.rest.accessToken();
      },
      createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      initialBackoffMs: 20,
    });
    started.push(client);
    client.start();
    // The server accepts the upgrade, then closes with 4401 on reading the token.
    await waitFor('the tokens to be renewed', () => renewals === 1);
    await opened(client);
    expect(renewals).toBe(1);
  });
});
