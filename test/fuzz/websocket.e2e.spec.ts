/**
 * Property-based fuzzing of the client frames of `/v1/ws` (PROTOCOL.md) on a real
 * server: each broken frame is answered by exactly one `error` frame (echoing its id
 * when it has one), nothing else, nothing changes, and the same socket goes on
 * serving valid requests. Frames the protocol closes on (over 64 KiB, text that is
 * not UTF-8) close with their codes, and the user can connect again.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../../gateway/error-codes.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../support/server.js';
import { WsClient, type Frame } from '../support/ws-client.js';
import { brokenFrame, type FuzzTargetIds } from './hostile-frames.js';

const FRAME_RUNS = Number(process.env.FUZZ_WS_RUNS ?? 800);
const MiB = 1024 * 1024;
/** FUZZ_MODE=embedded runs the same cases against PGlite. */
const MODE = (process.env.FUZZ_MODE ?? 'postgres') as TestMode;

describe('WebSocket fuzzing', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let ids: FuzzTargetIds;
  const clients: WsClient[] = [];
  const tally = new Map<string, number>();
  let casesRun = 0;

  const connect = async (user: RegisteredUser) => {
    const client = await WsClient.ready(server.baseUrl, user.token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer(MODE, {
      // The fuzzer sends hundreds of frames a second; the rate limit has its own test.
      WS_RATE_LIMIT_PER_SECOND: '1000000',
      WS_RATE_LIMIT_BURST: '1000000',
    });
    const anonymous = new ApiClient(server.baseUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous, 'alice'), registerUser(anonymous, 'bob')]);
    const created = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id] });
    const sent = await alice.api.post(`/v1/conversations/${created.body.id}/messages`, {
      clientMsgId: randomUUID(),
      body: 'the message every frame aims at',
    });
    ids = { conversationId: created.body.id, messageId: sent.body.id, userId: bob.id };
  });

  afterAll(async () => {
    const byFlaw = [...tally].map(([flaw, count]) => `${flaw}=${count}`).join(' ');
    console.log(`fuzz cases run (websocket): ${casesRun} [${byFlaw}]`);
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  const streamState = async () => {
    const events = await alice.api.get(`/v1/conversations/${ids.conversationId}/events?limit=1000`);
    const conversation = await alice.api.get(`/v1/conversations/${ids.conversationId}`);
    return { events: events.body, conversation: conversation.body };
  };

  function expectErrorFrame(frame: Frame | undefined, what: string): void {
    expect(frame?.type, `${what}: ${JSON.stringify(frame)}`).toBe('error');
    expect(STATUS_BY_CODE[frame?.data?.code as keyof typeof STATUS_BY_CODE], what).toBeGreaterThanOrEqual(
      400,
    );
    expect(frame?.data?.message, what).toBeTypeOf('string');
  }

  it(
    'answers every broken frame with exactly one error frame, changes nothing, and keeps the socket',
    { timeout: 180_000 },
    async () => {
      const client = await connect(alice);
      const before = await streamState();
      const memoryBefore = process.memoryUsage();
      let barrier = 0;

      await fc.assert(
        fc.asyncProperty(brokenFrame(ids), async (hostile) => {
          casesRun += 1;
          tally.set(hostile.flaw.split(' ')[0]!, (tally.get(hostile.flaw.split(' ')[0]!) ?? 0) + 1);
          const from = client.frames.length;
          client.sendRaw(hostile.payload);
          // A valid request sent after it: answered only once everything before it was.
          const barrierId = `barrier-${++barrier}`;
          client.send({ type: 'presence.subscribe', id: barrierId, data: { userIds: [] } });
          await client.next((frame) => frame.id === barrierId, `the answer to ${barrierId}`);
          const between = client.frames.slice(from).filter((frame) => frame.id !== barrierId);
          const what = `${hostile.flaw}: ${String(hostile.payload).slice(0, 200)}`;
          expect(between, `${what} → ${JSON.stringify(between).slice(0, 400)}`).toHaveLength(1);
          expectErrorFrame(between[0], what);
          if (hostile.id !== undefined) expect(between[0]?.id, what).toEqual(hostile.id);
        }),
        { numRuns: FRAME_RUNS, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
      );

      const memoryAfter = process.memoryUsage();
      console.log(
        `memory (websocket fuzz): rss ${(memoryBefore.rss / MiB).toFixed(0)} → ${(memoryAfter.rss / MiB).toFixed(0)} MiB, ` +
          `heap ${(memoryBefore.heapUsed / MiB).toFixed(0)} → ${(memoryAfter.heapUsed / MiB).toFixed(0)} MiB`,
      );
      expect(memoryAfter.heapUsed - memoryBefore.heapUsed).toBeLessThan(256 * MiB);
      expect(memoryAfter.rss).toBeLessThan(2048 * MiB);

      expect(await streamState()).toEqual(before);
      // The socket that took all of it still works.
      const ack = await client.request('message.send', {
        conversationId: ids.conversationId,
        clientMsgId: randomUUID(),
        body: 'still here',
      });
      expect(ack).toMatchObject({ type: 'ack', data: { status: 'ok', duplicate: false } });
    },
  );

  it('closes with 1009 on a frame over 64 KiB and with 1007 on text that is not UTF-8, and lets the user back in', async () => {
    const oversized = await connect(bob);
    oversized.sendRaw(JSON.stringify({ type: 'ping', id: 'big', data: { pad: '😀'.repeat(20_000) } }));
    expect((await oversized.closed).code).toBe(1009);

    const notUtf8 = await connect(bob);
    // A text frame (binary: false) whose bytes are an unpaired surrogate's and an invalid lead byte.
    (notUtf8.socket as unknown as { send(data: Buffer, options: { binary: boolean }): void }).send(
      Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0xff, 0x7d]),
      { binary: false },
    );
    expect((await notUtf8.closed).code).toBe(1007);
    casesRun += 2;

    const again = await connect(bob);
    expect(await again.request('ping', {})).toMatchObject({ type: 'pong' });
  });

  it('keeps answering well-formed requests for conversations and users that do not exist with not_found or forbidden', async () => {
    const client = await connect(alice);
    const stranger = randomUUID();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'message.send',
          'message.edit',
          'message.delete',
          'message.read',
          'typing.start',
          'presence.subscribe',
        ),
        fc.uuid(),
        async (type, unknownId) => {
          casesRun += 1;
          const data: Record<string, unknown> = {
            conversationId: unknownId,
            messageId: unknownId,
            clientMsgId: randomUUID(),
            body: 'hello',
            seq: 1,
            userIds: [stranger],
          };
          const answer = await client.request(type, data);
          expectErrorFrame(answer, `${type} ${unknownId}`);
          expect(['not_found', 'forbidden']).toContain(answer.data.code);
        },
      ),
      { numRuns: 60 },
    );
  });
});
