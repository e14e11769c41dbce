import { randomUUID } from 'node:crypto';
import { createParleyProcess, type ParleyProcess } from '../../../app/testing/parley-process.js';
import { createRedisUnreadCounters } from '../../../infra/unread/redis.unread-counters.js';
import { ApiClient, registerUser, type RegisteredUser } from '../../support/api-client.js';
import { createTestDatabase } from '../../support/postgres.js';
import { seededRandom } from '../../support/seeded-random.js';
import { WsClient, type Frame } from '../../support/ws-client.js';
import {
  auditLog,
  compareMessagesWithLog,
  compareUnreadCounters,
  openDatabase,
  waitForProjectionsAtHead,
  type AckedSend,
} from './log-audit.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Limits far above the load, so that every refusal a sender sees is a fault, not throttling. */
export const UNTHROTTLED: Record<string, string> = {
  WS_RATE_LIMIT_PER_SECOND: '1000000',
  WS_RATE_LIMIT_BURST: '1000000',
  RATE_LIMIT_PER_MINUTE: '10000000',
  RATE_LIMIT_PER_IP_PER_MINUTE: '10000000',
};

export interface Kill9Options {
  rounds: number;
  /** Keep going past `rounds` until this many sends were acknowledged (the soak). */
  minAcked?: number;
  seed: number;
  /** Sockets sending at once (50); each user holds several, each socket its own clientMsgIds. */
  senders?: number;
  /** Registering hashes a password (seconds of CPU on a busy machine): fewer users, several sockets each. */
  users?: number;
  conversations?: number;
  /** The kill comes this long after every sender is connected: uniform in [min, max). */
  killAfterMs: { min: number; max: number };
  /** One JSON object per round and one for the whole run. */
  report?: (line: Record<string, unknown>) => void;
}

export interface Kill9Result {
  seed: number;
  rounds: number;
  acked: number;
  lost: number;
  doubled: number;
  mismatched: number;
  seqGaps: number;
  /** Resends after a kill that the server answered as duplicates: it had committed them before dying. */
  duplicateAcks: number;
  /** Per round: sends acknowledged, and requests in flight when the kill came (what the kill put at risk). */
  perRound: { acked: number; inFlightAtKill: number }[];
  /** Differences between the messages table and the log, and between Redis and Postgres unread counters. */
  readModelProblems: string[];
  unreadProblems: string[];
  wallMs: number;
}

interface Sender {
  index: number;
  user: RegisteredUser;
  conversationId: string;
  /** clientMsgIds sent (or about to be) and not acknowledged yet, oldest first: resent as they are. */
  unacked: string[];
}

interface RoundStats {
  acked: number;
  duplicateAcks: number;
  errors: string[];
}

/** A live server answers every request; one that does not within this is a hang, reported as such. */
const ANSWER_DEADLINE_MS = 60_000;

export class NoAnswerError extends Error {}

/** Requests in flight on one socket (any number): each resolved by its answer, rejected when the socket closes. */
export class Requests {
  private readonly waiting = new Map<string, { resolve(frame: Frame): void; reject(error: Error): void }>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly client: WsClient) {
    client.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      const entry = typeof frame.id === 'string' ? this.waiting.get(frame.id) : undefined;
      if (!entry) return;
      this.waiting.delete(frame.id as string);
      entry.resolve(frame);
    });
    void client.closed.then(() => {
      this.closed = true;
      for (const entry of this.waiting.values()) entry.reject(new Error('socket closed'));
      this.waiting.clear();
    });
  }

  get inFlight(): number {
    return this.waiting.size;
  }

  send(type: string, data: unknown): Promise<Frame> {
    if (this.closed) return Promise.reject(new Error('socket closed'));
    const id = `k${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new NoAnswerError(`no answer to ${type} ${JSON.stringify(data)} within ${ANSWER_DEADLINE_MS} ms`),
        );
      }, ANSWER_DEADLINE_MS);
      const settle =
        <T>(finish: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          finish(value);
        };
      this.waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.client.send({ type, id, data });
    });
  }
}

async function connect(baseUrl: string, token: string): Promise<WsClient> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await WsClient.ready(baseUrl, token);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

/**
 * One sender for one server life: resends its unacknowledged clientMsgIds first,
 * then new ones, one at a time as acks come, until the socket dies (the kill) or,
 * with `drainOnly`, until nothing is left unacknowledged.
 */
async function runSender(
  sender: Sender,
  client: WsClient,
  acked: Map<string, AckedSend>,
  stats: RoundStats,
  drainOnly: boolean,
  requests: Requests,
): Promise<void> {
  const previouslySent = new Set(sender.unacked);
  for (;;) {
    if (drainOnly && sender.unacked.length === 0) return;
    if (sender.unacked.length === 0) sender.unacked.push(randomUUID());
    const clientMsgId = sender.unacked[0]!;
    let answer: Frame;
    try {
      answer = await requests.send('message.send', {
        conversationId: sender.conversationId,
        clientMsgId,
        body: `sender ${sender.index} says ${clientMsgId.slice(0, 8)}`,
      });
    } catch (error) {
      if (error instanceof NoAnswerError) throw error;
      return; // The server died: whatever was in flight is resent after the restart.
    }
    if (answer.type !== 'ack') {
      stats.errors.push(`sender ${sender.index}: ${JSON.stringify(answer.data)}`);
      if (stats.errors.length > 100)
        throw new Error(`too many refusals: ${stats.errors.slice(0, 5).join('; ')}`);
      continue;
    }
    sender.unacked.shift();
    if (acked.has(clientMsgId)) stats.errors.push(`${clientMsgId} acknowledged twice`);
    acked.set(clientMsgId, {
      conversationId: sender.conversationId,
      clientMsgId,
      messageId: answer.data.messageId as string,
      seq: answer.data.seq as number,
    });
    stats.acked += 1;
    if (answer.data.duplicate === true) {
      stats.duplicateAcks += 1;
      if (!previouslySent.has(clientMsgId))
        stats.errors.push(`${clientMsgId} was new, yet answered duplicate`);
    }
  }
}

/** `userCount` users in `conversationCount` groups (user i in group i mod count), `senderCount` sockets over them. */
async function setUp(
  server: ParleyProcess,
  senderCount: number,
  userCount: number,
  conversationCount: number,
): Promise<Sender[]> {
  const api = new ApiClient(server.baseUrl);
  const users: RegisteredUser[] = [];
  for (let index = 0; index < userCount; index += 1) users.push(await registerUser(api, `k9u${index}`));
  const conversationOf = new Map<RegisteredUser, string>();
  for (let group = 0; group < conversationCount; group += 1) {
    const members = users.filter((_, index) => index % conversationCount === group);
    const [owner, ...others] = members;
    const created = await owner!.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: others.map((user) => user.id),
      title: `kill -9 group ${group}`,
    });
    if (created.status !== 201) throw new Error(`conversation not created: ${JSON.stringify(created.body)}`);
    for (const user of members) conversationOf.set(user, created.body.id as string);
  }
  return Array.from({ length: senderCount }, (_, index) => {
    const user = users[index % userCount]!;
    return { index, user, conversationId: conversationOf.get(user)!, unacked: [] };
  });
}

/**
 * The kill -9 workload: senders over WebSockets in a few group conversations,
 * the server SIGKILLed at a seeded random moment, restarted on the same database,
 * the senders reconnecting and resending what was not acknowledged with the same
 * clientMsgId — `rounds` times (and on until `minAcked`). Then one last life with
 * no kill drains every sender, and the log and read models are audited.
 */
export async function runKill9Rounds(options: Kill9Options): Promise<Kill9Result> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const report = options.report ?? (() => undefined);
  const database = await createTestDatabase('kill9');
  const server = await createParleyProcess({
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    environment: UNTHROTTLED,
  });
  const db = await openDatabase(database.url);
  const unread = await createRedisUnreadCounters({
    url: REDIS_URL,
    keyPrefix: `${server.redisKeyPrefix}unread:`,
  });
  // Its `clear()` drops every key under the prefix: the way to leave Redis as it was found.
  const everyKey = await createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: server.redisKeyPrefix });
  try {
    await server.start();
    const senders = await setUp(
      server,
      options.senders ?? 50,
      options.users ?? 10,
      options.conversations ?? 5,
    );
    const conversationIds = [...new Set(senders.map((sender) => sender.conversationId))];
    const acked = new Map<string, AckedSend>();
    let round = 0;
    let duplicateAcks = 0;
    const perRound: Kill9Result['perRound'] = [];

    const life = async (kill: boolean) => {
      const stats: RoundStats = { acked: 0, duplicateAcks: 0, errors: [] };
      const clients = await Promise.all(senders.map((sender) => connect(server.baseUrl, sender.user.token)));
      const requests = clients.map((client) => new Requests(client));
      const running = senders.map((sender, index) =>
        runSender(sender, clients[index]!, acked, stats, !kill, requests[index]!),
      );
      let killAfterMs = 0;
      let inFlightAtKill = 0;
      if (kill) {
        const { min, max } = options.killAfterMs;
        killAfterMs = Math.floor(min + random() * (max - min));
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
        inFlightAtKill = requests.reduce((sum, pending) => sum + pending.inFlight, 0);
        await server.signal('SIGKILL');
      }
      await Promise.all(running);
      await Promise.all(clients.map((client) => client.close()));
      duplicateAcks += stats.duplicateAcks;
      if (stats.errors.length > 0)
        throw new Error(`senders were refused: ${stats.errors.slice(0, 5).join('; ')}`);
      return { stats, killAfterMs, inFlightAtKill };
    };

    while (round < options.rounds || acked.size < (options.minAcked ?? 0)) {
      round += 1;
      const restartedAt = Date.now();
      if (round > 1) await server.start();
      const restartMs = Date.now() - restartedAt;
      const { stats, killAfterMs, inFlightAtKill } = await life(true);
      perRound.push({ acked: stats.acked, inFlightAtKill });
      const audit = await auditLog(db, conversationIds, acked.values());
      report({
        round,
        seed: options.seed,
        killAfterMs,
        restartMs: round > 1 ? restartMs : undefined,
        acked: stats.acked,
        resentDuplicates: stats.duplicateAcks,
        inFlightAtKill,
        ackedTotal: acked.size,
        lost: audit.lost.length,
        doubled: audit.doubled.length,
        mismatched: audit.mismatched.length,
        seqGaps: audit.seqGaps.length,
      });
    }

    // The last life: no kill; every sender's unacknowledged sends go through.
    await server.start();
    await life(false);
    await waitForProjectionsAtHead(db, unread);
    const audit = await auditLog(db, conversationIds, acked.values());
    const result: Kill9Result = {
      seed: options.seed,
      rounds: round,
      acked: acked.size,
      lost: audit.lost.length,
      doubled: audit.doubled.length,
      mismatched: audit.mismatched.length,
      seqGaps: audit.seqGaps.length,
      duplicateAcks,
      perRound,
      readModelProblems: await compareMessagesWithLog(db, conversationIds),
      unreadProblems: await compareUnreadCounters(db, unread, conversationIds),
      wallMs: Date.now() - started,
    };
    report({ summary: true, ...result, logged: audit.logged });
    return result;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- server output ---\n${server.output()}`, {
      cause: error,
    });
  } finally {
    await server.dispose();
    await everyKey.clear();
    await everyKey.close();
    await unread.close();
    await db.end();
    await database.drop();
  }
}
