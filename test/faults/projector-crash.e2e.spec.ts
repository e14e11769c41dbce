import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createParleyProcess,
  type ParleyProcess,
  type ParleyProcessOptions,
} from '../../app/testing/parley-process.js';
import { createRedisUnreadCounters } from '../../infra/unread/redis.unread-counters.js';
import type { UnreadCounters } from '../../infra/unread/unread-counters.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { createTestDatabase } from '../support/postgres.js';
import { seededRandom } from '../support/seeded-random.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient } from '../support/ws-client.js';
import { dumpReadModels, replayIntoFreshDatabase } from './support/fresh-replay.js';
import { REDIS_URL, Requests, UNTHROTTLED } from './support/kill9-rounds.js';
import { CRASH_BODY, CRASH_MARKER_FILE } from './support/crash-after-write.js';
import {
  compareMessagesWithLog,
  compareUnreadCounters,
  openDatabase,
  waitForProjectionsAtHead,
} from './support/log-audit.js';

const CRASHES = 3;
const BURST = 120;
const SEED = Number(process.env.PROJECTOR_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface DigestCover {
  conversationId: string;
  afterSeq: number;
  toSeq: number;
}

/** A server on a database of its own and the shared Redis, and what the checks read beside it. */
interface CrashRig {
  database: { url: string; drop(): Promise<void> };
  server: ParleyProcess;
  db: pg.Client;
  unread: UnreadCounters;
  /** Its `clear()` drops every key under the server's prefix: Redis is left as it was found. */
  everyKey: UnreadCounters;
}

/**
 * Registers the hooks that start a rig before the describe's tests and take it down
 * after them; its fields are set once the first hook ran. Whatever a failed start
 * left half made is taken down too.
 */
function useCrashRig(databaseName: string, options: Pick<ParleyProcessOptions, 'environment' | 'entry'>) {
  const rig = {} as CrashRig;
  beforeAll(async () => {
    rig.database = await createTestDatabase(databaseName);
    rig.server = await createParleyProcess({
      databaseUrl: rig.database.url,
      redisUrl: REDIS_URL,
      ...options,
    });
    await rig.server.start();
    rig.db = await openDatabase(rig.database.url);
    rig.unread = await createRedisUnreadCounters({
      url: REDIS_URL,
      keyPrefix: `${rig.server.redisKeyPrefix}unread:`,
    });
    rig.everyKey = await createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: rig.server.redisKeyPrefix });
  }, 180_000);

  afterAll(async () => {
    await rig.server?.dispose();
    await rig.everyKey?.clear();
    await rig.everyKey?.close();
    await rig.unread?.close();
    await rig.db?.end();
    await rig.database?.drop();
  });
  return rig;
}

/**
 * Starts the killed server again, waits for every projection to reach the head of
 * the log, and expects the read models to equal a fresh replay of it and the unread
 * counters to agree with them. Resolves to the read models' dump.
 */
async function expectRestartToMatchFreshReplay(
  rig: CrashRig,
  conversationIds: string[],
): Promise<Record<string, string[]>> {
  await rig.server.start();
  await waitForProjectionsAtHead(rig.db, rig.unread, 60_000);
  const expected = await replayIntoFreshDatabase(rig.database.url);
  const actual = await dumpReadModels(rig.database.url);
  for (const table of Object.keys(expected)) expect(actual[table], table).toEqual(expected[table]);
  expect(await compareUnreadCounters(rig.db, rig.unread, conversationIds)).toEqual([]);
  return actual;
}

/**
 * SIGKILLs the server while its projector is behind the log (mid-batch, mid catch-up),
 * with offline members whose digests are being planned and mailed, and checks after
 * each restart that the read models equal a fresh replay of the log and that no
 * message was mailed in two digests.
 */
describe('projector crash', () => {
  // Digests are due one second after a message, so mail is planned and sent all through the test.
  const rig = useCrashRig('projcrash', {
    environment: { ...UNTHROTTLED, NOTIFY_DELAY_SECONDS: '1', NOTIFY_INTERVAL_SECONDS: '1' },
  });
  let alice: RegisteredUser;
  let conversationId: string;

  beforeAll(async () => {
    const api = new ApiClient(rig.server.baseUrl);
    alice = await registerUser(api, 'alice');
    const offline = [await registerUser(api, 'bob'), await registerUser(api, 'carol')];
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: offline.map((user) => user.id),
      title: 'crashes',
    });
    expect(created.status).toBe(201);
    conversationId = created.body.id;
  }, 180_000);

  /**
   * Sends a burst and waits for its acks, then fires edits, deletes and a second
   * burst without waiting, and SIGKILLs the server once half of that is answered:
   * the projector has work in hand. Resolves to its lag (events) at the kill.
   */
  async function burstAndKill(random: () => number): Promise<number> {
    const client = await WsClient.ready(rig.server.baseUrl, alice.token);
    const requests = new Requests(client);
    const send = (body: string) =>
      requests.send('message.send', { conversationId, clientMsgId: randomUUID(), body });
    const acks = await Promise.all(
      Array.from({ length: BURST }, (_, index) => send(`burst message ${index}`)),
    );
    expect(acks.every((ack) => ack.type === 'ack')).toBe(true);
    // Edits and deletes move search rows and message rows by revision: replays must not undo them.
    const second = [
      ...acks
        .filter(() => random() < 0.15)
        .map((ack, index) =>
          index % 3 === 0
            ? requests.send('message.delete', { conversationId, messageId: ack.data.messageId })
            : requests.send('message.edit', {
                conversationId,
                messageId: ack.data.messageId,
                body: `edited ${ack.data.seq}`,
              }),
        ),
      ...Array.from({ length: BURST }, (_, index) => send(`unfinished burst message ${index}`)),
    ];
    let answered = 0;
    // Requests the kill cuts off reject: whether they were stored is the log's business.
    for (const request of second) void request.then(() => (answered += 1)).catch(() => undefined);
    await waitFor('half of the second wave answered', () => answered >= second.length / 2, 60_000);
    const lag = await projectorLag();
    await rig.server.signal('SIGKILL');
    await client.closed;
    return lag;
  }

  /** How far the slowest projection is behind the head of the log (0: caught up). */
  async function projectorLag(): Promise<number> {
    const { rows } = await rig.db.query<{ lag: string | null }>(
      `select (select max(position) from es_events) - min(position) as lag from projection_checkpoints`,
    );
    return Number(rows[0]?.lag ?? 0);
  }

  async function mailedMessageIds(): Promise<string[]> {
    const folder = path.join(rig.server.dataDir, 'mail');
    const files = await readdir(folder).catch(() => [] as string[]);
    const ids: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(folder, file), 'utf8');
      const id = /^Message-ID:\s*(\S+)/im.exec(text)?.[1];
      if (id) ids.push(id);
    }
    return ids;
  }

  /** Each (user, conversation, seq) is covered by at most one digest, whatever crashed. */
  async function overlappingDigests(): Promise<string[]> {
    const { rows } = await rig.db.query<{ user_id: string; covers: DigestCover[] }>(
      'select user_id, covers from notification_outbox order by created_at',
    );
    const covered = new Set<string>();
    const overlaps: string[] = [];
    for (const row of rows)
      for (const cover of row.covers)
        for (let seq = cover.afterSeq + 1; seq <= cover.toSeq; seq += 1) {
          const key = `${row.user_id}/${cover.conversationId}/${seq}`;
          if (covered.has(key)) overlaps.push(key);
          covered.add(key);
        }
    return overlaps;
  }

  it(`after each of ${CRASHES} kills mid-projection the read models equal a fresh replay, and no message is mailed twice (seed ${SEED})`, async () => {
    process.stdout.write(`projector crash seed ${SEED}\n`);
    const random = seededRandom(SEED);
    let killedBehind = 0;
    for (let crash = 1; crash <= CRASHES; crash += 1) {
      const lagAtKill = await burstAndKill(random);
      if (lagAtKill > 0) killedBehind += 1;
      const actual = await expectRestartToMatchFreshReplay(rig, [conversationId]);
      expect(await overlappingDigests()).toEqual([]);
      process.stdout.write(
        `${JSON.stringify({ crash, lagAtKill, messages: actual.messages!.length, digests: (await mailedMessageIds()).length })}\n`,
      );
    }
    // At least one kill hit the projector with work in hand, or the test proved nothing.
    expect(killedBehind).toBeGreaterThan(0);

    // Digests went out, each mailed once: a Message-ID is the outbox row's, sent once.
    await waitFor(
      'a digest mailed',
      async () =>
        (await rig.db.query(`select 1 from notification_outbox where sent_at is not null`)).rowCount! > 0,
      60_000,
    );
    const { rows: sent } = await rig.db.query<{ id: string }>(
      `select id from notification_outbox where outcome = 'sent'`,
    );
    const mailed = await mailedMessageIds();
    expect(new Set(mailed).size).toBe(mailed.length);
    for (const row of sent) expect(mailed.some((id) => id.includes(row.id))).toBe(true);
    expect(await overlappingDigests()).toEqual([]);
  }, 600_000);
});

describe('projector crash after a read-model write', () => {
  const rig = useCrashRig('crashwrite', {
    environment: UNTHROTTLED,
    entry: 'test/faults/support/crash-after-write.main.ts',
  });

  it('the batch the crash cut is applied once on restart, and the read models equal a fresh replay', async () => {
    const api = new ApiClient(rig.server.baseUrl);
    const alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const created = await alice.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: [bob.id],
      title: 'dies mid-batch',
    });
    expect(created.status).toBe(201);
    const conversationId = created.body.id as string;

    const client = await WsClient.ready(rig.server.baseUrl, alice.token);
    const requests = new Requests(client);
    const bodies = [
      ...Array.from({ length: 30 }, (_, index) => `before ${index}`),
      CRASH_BODY,
      ...Array.from({ length: 30 }, (_, index) => `after ${index}`),
    ];
    // Not awaited one by one: the sends pile into the projector's batches around the fatal one.
    const answers = bodies.map((body) =>
      requests
        .send('message.send', { conversationId, clientMsgId: randomUUID(), body })
        .catch(() => undefined),
    );
    await rig.server.exited();
    await Promise.all(answers);
    const crashedAt = await readFile(path.join(rig.server.dataDir, CRASH_MARKER_FILE), 'utf8');
    // The crash came before the checkpoints passed the fatal event.
    const { rows } = await rig.db.query<{ position: string }>(
      `select position from projection_checkpoints where name = 'messages'`,
    );
    expect(BigInt(rows[0]!.position)).toBeLessThan(BigInt(crashedAt));

    const actual = await expectRestartToMatchFreshReplay(rig, [conversationId]);
    expect(actual.messages!.some((row) => row.includes(CRASH_BODY))).toBe(true);
    expect(await compareMessagesWithLog(rig.db, [conversationId])).toEqual([]);
  }, 300_000);
});
