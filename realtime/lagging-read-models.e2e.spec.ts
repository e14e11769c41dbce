import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { createGroup as createGroupAs, sendMessage } from '../test/support/chat.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { WsClient, type Frame } from '../test/support/ws-client.js';

/**
 * A busy node's read models lag its live fan-out. A connection opened then must
 * not wait for them (nor be refused with 1013), and must get exactly what the
 * log says its user is a member of. PostgreSQL only: the read models are held
 * back by a second session's row lock, and PGlite has one session.
 */
describe('connecting while the read models lag the fan-out (postgres)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let holder: pg.Client | undefined;
  const clients: WsClient[] = [];
  const connect = async (user: RegisteredUser) => {
    const client = await WsClient.ready(server.baseUrl, user.token);
    clients.push(client);
    return client;
  };
  const createGroup = (memberIds: string[]) => createGroupAs(alice, memberIds, 'lag');
  const send = sendMessage;
  const bodiesIn = (client: WsClient, conversationId: string) =>
    client.frames
      .filter(
        (frame: Frame) => frame.type === 'message.create' && frame.data.conversationId === conversationId,
      )
      .map((frame) => frame.data.message.body as string);

  /** Holds the conversations projection's checkpoint row: its next batch waits until `release`. */
  const holdReadModels = async () => {
    holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query(`select 1 from projection_checkpoints where name = 'conversations' for update`);
  };
  const release = async () => {
    await holder?.query('rollback');
    await holder?.end();
    holder = undefined;
  };

  beforeAll(async () => {
    database = await createTestDatabase('lagging_read_models');
    server = await startTestServer('postgres', { DATABASE_URL: database.url });
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous, 'alice'), registerUser(anonymous, 'bob')]);
  });
  afterEach(async () => {
    await release();
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('a member added after the read models stopped connects at once and receives the conversation', async () => {
    const conversationId = await createGroup([]);
    const aliceSocket = await connect(alice);
    await holdReadModels();
    // Stored at once; the HTTP answer waits for the read models, so it is not awaited here.
    const adding = alice.api.post(`/v1/conversations/${conversationId}/members`, { userIds: [bob.id] });
    await aliceSocket.next(
      (frame) => frame.type === 'member.join' && frame.data.conversationId === conversationId,
      'member.join on the fan-out',
    );

    const bobSocket = await connect(bob);
    expect((await send(aliceSocket, conversationId, 'hello bob')).type).toBe('ack');
    await bobSocket.next(
      (frame) => frame.type === 'message.create' && frame.data.conversationId === conversationId,
      'the message in the conversation bob just joined',
    );
    expect(bodiesIn(bobSocket, conversationId)).toEqual(['hello bob']);
    await release();
    await adding;
  });

  it('a member removed after the read models stopped connects at once and receives nothing of it', async () => {
    const leftGroup = await createGroup([bob.id]);
    const stillShared = await createGroup([bob.id]);
    const aliceSocket = await connect(alice);
    await holdReadModels();
    const removing = alice.api.delete(`/v1/conversations/${leftGroup}/members/${bob.id}`);
    await aliceSocket.next(
      (frame) => frame.type === 'member.leave' && frame.data.conversationId === leftGroup,
      'member.leave on the fan-out',
    );

    const bobSocket = await connect(bob);
    expect((await send(aliceSocket, leftGroup, 'not for bob')).type).toBe('ack');
    expect((await send(aliceSocket, stillShared, 'for bob')).type).toBe('ack');
    // Frames go out in log order: once the later message is there, the earlier one would be too.
    await bobSocket.next(
      (frame) => frame.type === 'message.create' && frame.data.conversationId === stillShared,
      'the message in the conversation bob is still in',
    );
    expect(bodiesIn(bobSocket, leftGroup)).toEqual([]);
    await release();
    await removing;
  });
});
