import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/postgres.js';
import type { TestServer } from '../support/server.js';
import { openTcpRelay, type TcpRelay } from '../support/tcp-relay.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient } from '../support/ws-client.js';
import {
  expectNothingHungOrLost,
  readiness,
  readyStatus,
  SEND_DEADLINE_MS,
  startLoadedServer,
} from './infra-fault-suite.js';
import { ChatLoad, HOOK_TIMEOUT_MS, TEST_TIMEOUT_MS, createRoom, type ChatRoom } from './infra-load.js';

/**
 * Network faults between Parley and its PostgreSQL and Redis (issue 8, "Network
 * faults"), through a relay of our own: connections cut, stalled (a black hole
 * that only a timeout can notice) and slowed, mid-load. The shared servers are
 * never touched; only the relay in front of them misbehaves.
 */

/**
 * The client-side deadline on every SQL round trip, given in the URL as pg allows
 * (`?query_timeout=`): shorter than the product's default so the suite stays quick.
 */
const QUERY_TIMEOUT_MS = 3_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('network faults between Parley and its backing services', { timeout: TEST_TIMEOUT_MS }, () => {
  let database: { url: string; drop(): Promise<void> };
  let pgRelay: TcpRelay;
  let redisRelay: TcpRelay;
  let parley: TestServer;
  let rooms: ChatRoom[];

  beforeAll(async () => {
    database = await createTestDatabase('network_faults');
    pgRelay = await openTcpRelay(new URL(database.url), 5432);
    redisRelay = await openTcpRelay(new URL(REDIS_URL), 6379);
    const throughRelay = new URL(database.url);
    throughRelay.port = new URL(pgRelay.url).port;
    throughRelay.searchParams.set('query_timeout', String(QUERY_TIMEOUT_MS));
    parley = await startLoadedServer({
      DATABASE_URL: throughRelay.toString(),
      REDIS_URL: redisRelay.url,
    });
    rooms = [await createRoom(parley.baseUrl, 4, 'net_a'), await createRoom(parley.baseUrl, 2, 'net_b')];
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await parley?.close();
    await pgRelay?.close();
    await redisRelay?.close();
    await database?.drop();
  }, HOOK_TIMEOUT_MS);

  const ready = () => readyStatus(parley);

  /** Load, then the fault until `during` holds, then healed until sends are acked again; then the invariants. */
  async function underFault(options: {
    fault(): void | Promise<void>;
    heal(): void | Promise<void>;
    during(load: ChatLoad, since: number): boolean;
    what: string;
    /** Checks made while the fault lasts, after `during` held. */
    whileFaulty?(): Promise<void>;
  }): Promise<ChatLoad> {
    const load = ChatLoad.forRooms(parley.baseUrl, rooms, SEND_DEADLINE_MS);
    load.start();
    try {
      await load.waitForAcks(30);
      const since = load.outcomes.length;
      await options.fault();
      try {
        await waitFor(options.what, () => options.during(load, since), 45_000);
        await options.whileFaulty?.();
      } finally {
        await options.heal();
      }
      // `ready`, not only 200: a Redis fault leaves the node serving but degraded until it reconnects.
      await waitFor(
        '/ready after the fault',
        async () => (await readiness(parley)).status === 'ready',
        30_000,
      );
      await load.waitForAcks(30);
    } finally {
      await load.stop();
    }
    await expectNothingHungOrLost(parley, load, rooms, `network fault, ${expect.getState().currentTestName}`);
    return load;
  }

  /**
   * A WebSocket opened now is answered, one way or the other, within the deadline:
   * `ready` (a ping answered) or `refused` (closed with 1013, "try again later").
   */
  async function newConnectionOutcome(): Promise<'ready' | 'refused'> {
    const socket = await WsClient.connect(parley.baseUrl, { token: rooms[0]!.owner.token });
    let closeCode: number | undefined;
    void socket.closed.then(({ code }) => (closeCode = code));
    socket.send({ type: 'ping', id: 'probe', data: {} });
    try {
      await waitFor(
        'the new connection to be served or refused',
        () => closeCode !== undefined || socket.frames.some((frame) => frame.type === 'pong'),
        SEND_DEADLINE_MS,
      );
      if (closeCode === undefined) return 'ready';
      expect(closeCode).toBe(1013);
      return 'refused';
    } finally {
      await socket.close();
    }
  }

  /** Sends after `since` that failed with `unavailable` or `timeout`: the dependency's loss was answered, not hidden. */
  const failedSince = (load: ChatLoad, since: number, count: number) => load.count('failed', since) >= count;
  const ackedSince = (load: ChatLoad, since: number, count: number) => load.count('acked', since) >= count;

  describe('PostgreSQL', () => {
    it('cut: sends fail with unavailable while the connection is refused, then resume', async () => {
      const load = await underFault({
        fault: () => pgRelay.cut(),
        heal: () => pgRelay.restore(),
        during: (current, since) => failedSince(current, since, 6),
        what: 'sends to fail while PostgreSQL is cut off',
      });
      expect(load.count('failed')).toBeGreaterThan(0);
    });

    it('stall: every send answers within the deadline while nothing comes back, then they resume', async () => {
      const load = await underFault({
        fault: () => pgRelay.stall(),
        heal: () => pgRelay.heal(),
        // As many error answers as senders: stalled commands are cut short, not left waiting.
        during: (current, since) => failedSince(current, since, 6),
        what: 'stalled sends to be answered with an error',
        // Its memberships cannot be loaded: the connection is refused, not left waiting.
        whileFaulty: async () => {
          expect(await newConnectionOutcome()).toBe('refused');
          // Readiness answers too (its checks have their own deadline), and says not ready.
          expect(await ready()).toBe(503);
        },
      });
      expect(load.count('failed')).toBeGreaterThan(0);
    });

    it('slow: sends go on, slower, with nothing lost', async () => {
      await underFault({
        fault: () => pgRelay.slow(50),
        heal: () => pgRelay.heal(),
        during: (current, since) => ackedSince(current, since, 30),
        what: 'sends to be acked over a slow link',
      });
    });
  });

  describe('Redis', () => {
    it('cut: chat goes on while Redis is unreachable', async () => {
      await underFault({
        fault: () => redisRelay.cut(),
        heal: () => redisRelay.restore(),
        during: (current, since) => ackedSince(current, since, 30),
        what: 'sends to be acked without Redis',
      });
    });

    it('stall: chat goes on while Redis answers nothing', async () => {
      await underFault({
        fault: () => redisRelay.stall(),
        heal: () => redisRelay.heal(),
        during: (current, since) => ackedSince(current, since, 30),
        what: 'sends to be acked while Redis is stalled',
        // Presence cannot be registered; the connection is served all the same, and the
        // node stays in the load balancer (its Redis check times out: degraded, not unready).
        whileFaulty: async () => {
          expect(await newConnectionOutcome()).toBe('ready');
          expect(await readiness(parley)).toEqual({ code: 200, status: 'degraded' });
        },
      });
    });

    it('slow: chat goes on over a slow link to Redis', async () => {
      await underFault({
        fault: () => redisRelay.slow(50),
        heal: () => redisRelay.heal(),
        during: (current, since) => ackedSince(current, since, 30),
        what: 'sends to be acked over a slow link to Redis',
      });
    });
  });
});
