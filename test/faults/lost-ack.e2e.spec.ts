import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParleyProcess, type ParleyProcess } from '../../app/testing/parley-process.js';
import { createRedisUnreadCounters } from '../../infra/unread/redis.unread-counters.js';
import type { UnreadCounters } from '../../infra/unread/unread-counters.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { createTestDatabase } from '../support/postgres.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient, type Frame } from '../support/ws-client.js';
import { REDIS_URL, Requests, UNTHROTTLED } from './support/kill9-rounds.js';
import { openDatabase } from './support/log-audit.js';
import { openReplyDroppingRelay, type ReplyDroppingRelay } from './support/reply-dropping-relay.js';

interface SendAnswer {
  via: string;
  messageId: string;
  seq: number;
  /** What the server said about it: `duplicate` on the WebSocket, 200 (not 201) over REST. */
  duplicate: boolean;
}

describe('lost-ack retry storm', () => {
  let database: { url: string; drop(): Promise<void> };
  let server: ParleyProcess;
  let relay: ReplyDroppingRelay;
  let db: pg.Client;
  /** Its `clear()` drops every key under the server's prefix: Redis is left as it was found. */
  let everyKey: UnreadCounters;
  let alice: RegisteredUser;
  let conversationId: string;

  beforeAll(async () => {
    database = await createTestDatabase('lostack');
    server = await createParleyProcess({
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      environment: UNTHROTTLED,
    });
    await server.start();
    relay = await openReplyDroppingRelay(new URL(server.baseUrl));
    db = await openDatabase(database.url);
    everyKey = await createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: server.redisKeyPrefix });
    const api = new ApiClient(server.baseUrl);
    alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'acks',
    });
    expect(created.status).toBe(201);
    conversationId = created.body.id;
  }, 120_000);

  afterAll(async () => {
    await relay?.close();
    await server?.dispose();
    await everyKey?.clear();
    await everyKey?.close();
    await db?.end();
    await database?.drop();
  });

  async function loggedSends(clientMsgId: string) {
    const { rows } = await db.query<{ data: { messageId: string; seq: number } }>(
      `select data from es_events where type = 'MessageSent' and data->>'clientMsgId' = $1`,
      [clientMsgId],
    );
    return rows.map((row) => row.data);
  }

  const viaWebSocket = async (clientMsgId: string, body: string): Promise<SendAnswer> => {
    const client = await WsClient.ready(server.baseUrl, alice.token);
    try {
      // Not client.request: its 10 s wait is short for a server just restarted on a busy machine.
      const answer = await new Requests(client).send('message.send', { conversationId, clientMsgId, body });
      expect(answer.type, JSON.stringify(answer)).toBe('ack');
      const { messageId, seq, duplicate } = answer.data;
      return { via: 'websocket', messageId, seq, duplicate };
    } finally {
      await client.close();
    }
  };

  const viaRest = async (clientMsgId: string, body: string): Promise<SendAnswer> => {
    const answer = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId,
      body,
    });
    expect([200, 201], JSON.stringify(answer.body)).toContain(answer.status);
    return { via: 'rest', messageId: answer.body.id, seq: answer.body.seq, duplicate: answer.status === 200 };
  };

  /**
   * Five retries of a send whose answer was lost: two at once (WebSocket and REST),
   * then a kill -9 and a restart, then three more (two of them at once). Resolves to
   * their answers.
   */
  async function retryFiveTimes(clientMsgId: string, body: string): Promise<SendAnswer[]> {
    const answers = await Promise.all([viaWebSocket(clientMsgId, body), viaRest(clientMsgId, body)]);
    await server.signal('SIGKILL');
    await server.start();
    answers.push(await viaWebSocket(clientMsgId, body));
    answers.push(...(await Promise.all([viaRest(clientMsgId, body), viaWebSocket(clientMsgId, body)])));
    return answers;
  }

  async function expectOneMessage(clientMsgId: string, answers: SendAnswer[]): Promise<void> {
    const logged = await loggedSends(clientMsgId);
    expect(logged).toHaveLength(1);
    const { messageId, seq } = logged[0]!;
    expect(answers).toHaveLength(5);
    for (const answer of answers)
      expect(answer).toEqual({ via: answer.via, messageId, seq, duplicate: true });
    const { rows } = await db.query('select id, seq from messages where client_msg_id = $1', [clientMsgId]);
    expect(rows).toEqual([{ id: messageId, seq }]);
    // The conversation goes on from there: the next send takes the next seq.
    const next = await viaRest(randomUUID(), 'after the storm');
    expect(next).toMatchObject({ seq: seq + 1, duplicate: false });
  }

  it('a WebSocket send whose ack is lost, retried five times (once across a kill -9), is one message with one messageId and seq', async () => {
    const clientMsgId = randomUUID();
    const body = 'the ack of this one is lost';
    const blind = await WsClient.ready(relay.url, alice.token);
    relay.dropReplies = true;
    blind.send({ type: 'message.send', id: 'lost', data: { conversationId, clientMsgId, body } });
    await waitFor(
      'the send to reach the log',
      async () => (await loggedSends(clientMsgId)).length > 0,
      30_000,
    );
    relay.disconnectAll();
    relay.dropReplies = false;
    await blind.closed;
    expect(blind.frames.find((frame: Frame) => frame.id === 'lost')).toBeUndefined();

    await expectOneMessage(clientMsgId, await retryFiveTimes(clientMsgId, body));
  }, 120_000);

  it('a REST send whose answer is lost, retried five times (once across a kill -9), is one message with one messageId and seq', async () => {
    const clientMsgId = randomUUID();
    const body = 'the answer to this one is lost';
    relay.dropReplies = true;
    const aborted = new AbortController();
    const lost = fetch(`${relay.url}/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMsgId, body }),
      signal: aborted.signal,
    }).then(
      () => 'answered',
      () => 'no answer',
    );
    await waitFor(
      'the send to reach the log',
      async () => (await loggedSends(clientMsgId)).length > 0,
      30_000,
    );
    relay.disconnectAll();
    relay.dropReplies = false;
    aborted.abort();
    expect(await lost).toBe('no answer');

    await expectOneMessage(clientMsgId, await retryFiveTimes(clientMsgId, body));
  }, 120_000);
});
