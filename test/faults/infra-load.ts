import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { StreamNotFoundError } from '../../infra/eventstore/event-store.errors.js';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import { waitFor } from '../support/wait-for.js';
import { WsClient } from '../support/ws-client.js';

/**
 * Chat load for the infrastructure fault suites: senders over REST and over the
 * WebSocket, each sending as fast as answers allow, and a record of every answer
 * (or of its absence past a deadline), so a suite can check afterwards that
 * nothing acknowledged was lost and nothing hung.
 */

/** Limits out of the way: the load comes from one address and sends as fast as answers allow. */
export const LOAD_ENVIRONMENT = {
  RATE_LIMIT_PER_MINUTE: '1000000',
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  WS_RATE_LIMIT_PER_SECOND: '100000',
  WS_RATE_LIMIT_BURST: '100000',
};

/** Setting up a server and its users (scrypt) on a busy two-core machine may take a while. */
export const HOOK_TIMEOUT_MS = 180_000;
/** A fault test waits on several deadlines in a row (fault noticed, recovery, checks). */
export const TEST_TIMEOUT_MS = 180_000;

export interface SendOutcome {
  via: 'http' | 'ws';
  conversationId: string;
  clientMsgId: string;
  body: string;
  sender: RegisteredUser;
  /** acked: stored; failed: an error answer (`code`); hung: no answer within the deadline. */
  status: 'acked' | 'failed' | 'hung';
  code?: string;
  messageId?: string;
  seq?: number;
  /** From the send to its answer (or to giving up): for the report, never asserted. */
  ms: number;
}

export interface ChatRoom {
  owner: RegisteredUser;
  members: RegisteredUser[];
  conversationId: string;
}

/** A group of `size` fresh users, created by the first. */
export async function createRoom(baseUrl: string, size: number, label: string): Promise<ChatRoom> {
  const api = new ApiClient(baseUrl);
  const members: RegisteredUser[] = [];
  for (let index = 0; index < size; index++) members.push(await registerUser(api, `${label}${index}`));
  const owner = members[0]!;
  const created = await owner.api.post('/v1/conversations', {
    kind: 'group',
    title: label,
    memberIds: members.slice(1).map((member) => member.id),
  });
  if (created.status !== 201) throw new Error(`create conversation: ${created.status}`);
  return { owner, members, conversationId: (created.body as { id: string }).id };
}

export interface Sender {
  via: 'http' | 'ws';
  user: RegisteredUser;
  conversationId: string;
}

/** The few answer codes a send may get while a dependency is away. */
const EXPECTED_FAILURES = new Set(['unavailable', 'timeout']);

export class ChatLoad {
  readonly outcomes: SendOutcome[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private sockets = new Set<WsClient>();

  constructor(
    private readonly baseUrl: string,
    private readonly senders: readonly Sender[],
    /** How long a send may go unanswered before it counts as hung. */
    private readonly deadlineMs: number,
  ) {}

  /** Half the room's members send over REST, half over the WebSocket. */
  static forRooms(baseUrl: string, rooms: readonly ChatRoom[], deadlineMs: number): ChatLoad {
    const senders = rooms.flatMap((room) =>
      room.members.map((user, index): Sender => ({
        via: index % 2 === 0 ? 'http' : 'ws',
        user,
        conversationId: room.conversationId,
      })),
    );
    return new ChatLoad(baseUrl, senders, deadlineMs);
  }

  start(): void {
    this.loops = this.senders.map((sender) =>
      sender.via === 'http' ? this.httpLoop(sender) : this.wsLoop(sender),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    await Promise.all([...this.sockets].map((socket) => socket.close()));
  }

  count(status: SendOutcome['status'], since = 0): number {
    return this.outcomes.slice(since).filter((outcome) => outcome.status === status).length;
  }

  /** One line for the report: answers by kind, and the slowest. */
  summary(): string {
    const slowest = Math.max(0, ...this.outcomes.map((outcome) => outcome.ms));
    return `${this.count('acked')} acked, ${this.count('failed')} failed (${JSON.stringify(
      this.failureCodes(),
    )}), ${this.count('hung')} hung, slowest answer ${slowest} ms`;
  }

  private failureCodes(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const outcome of this.outcomes) {
      if (outcome.status !== 'failed') continue;
      counts[outcome.code ?? '?'] = (counts[outcome.code ?? '?'] ?? 0) + 1;
    }
    return counts;
  }

  /** Resolves once `count` more sends were acknowledged after outcome number `since`. */
  async waitForAcks(count: number, since = this.outcomes.length, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${count} acked sends`, () => this.count('acked', since) >= count, timeoutMs);
  }

  /** Error answers other than the expected ones, counted per way and code: each is a defect. */
  unexpectedFailures(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const outcome of this.outcomes) {
      if (outcome.status !== 'failed' || EXPECTED_FAILURES.has(outcome.code ?? '')) continue;
      const key = `${outcome.via} ${outcome.code ?? '?'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  private async httpLoop(sender: Sender): Promise<void> {
    while (!this.stopping) {
      const clientMsgId = randomUUID();
      const body = `http ${clientMsgId}`;
      const started = Date.now();
      const base = () => ({
        via: 'http' as const,
        conversationId: sender.conversationId,
        clientMsgId,
        body,
        sender: sender.user,
        ms: Date.now() - started,
      });
      try {
        const response = await fetch(`${this.baseUrl}/v1/conversations/${sender.conversationId}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sender.user.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ clientMsgId, body }),
          signal: AbortSignal.timeout(this.deadlineMs),
        });
        const answer = (await response.json()) as { id?: string; seq?: number; error?: { code: string } };
        if (response.status === 201 || response.status === 200) {
          this.outcomes.push({ ...base(), status: 'acked', messageId: answer.id, seq: answer.seq });
        } else {
          this.outcomes.push({
            ...base(),
            status: 'failed',
            code: answer.error?.code ?? `http ${response.status}`,
          });
          await pause();
        }
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        this.outcomes.push({ ...base(), status: timedOut ? 'hung' : 'failed', code: describe(error) });
        await pause();
      }
    }
  }

  private async wsLoop(sender: Sender): Promise<void> {
    let socket: WsClient | undefined;
    while (!this.stopping) {
      if (!socket || socket.socket.readyState !== 1) {
        socket = await this.reconnect(sender, socket);
        if (!socket) return;
      }
      const clientMsgId = randomUUID();
      const body = `ws ${clientMsgId}`;
      const started = Date.now();
      const base = () => ({
        via: 'ws' as const,
        conversationId: sender.conversationId,
        clientMsgId,
        body,
        sender: sender.user,
        ms: Date.now() - started,
      });
      const id = `send-${clientMsgId}`;
      socket.send({
        type: 'message.send',
        id,
        data: { conversationId: sender.conversationId, clientMsgId, body },
      });
      try {
        const answer = await socket.next((frame) => frame.id === id, `the answer to ${id}`, this.deadlineMs);
        if (answer.type === 'ack') {
          const data = answer.data as { messageId: string; seq: number };
          this.outcomes.push({ ...base(), status: 'acked', messageId: data.messageId, seq: data.seq });
        } else {
          this.outcomes.push({ ...base(), status: 'failed', code: (answer.data as { code: string }).code });
          await pause();
        }
      } catch {
        // No answer: hung if the socket is still open, else the connection went (an unknown outcome).
        const open = socket.socket.readyState === 1;
        this.outcomes.push({
          ...base(),
          status: open ? 'hung' : 'failed',
          code: open ? undefined : 'closed',
        });
      }
      // Answered frames are not needed any more; keep memory flat under load.
      socket.frames.length = 0;
    }
  }

  private async reconnect(sender: Sender, previous: WsClient | undefined): Promise<WsClient | undefined> {
    if (previous) this.sockets.delete(previous);
    while (!this.stopping) {
      try {
        const socket = await WsClient.connect(this.baseUrl, { token: sender.user.token });
        this.sockets.add(socket);
        return socket;
      } catch {
        await pause();
      }
    }
    return undefined;
  }
}

/** Pacing between retries after a failure, so an outage is not a busy loop (not a timing assertion). */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? error.name;
}

interface MessageView {
  id: string;
  seq: number;
  clientMsgId: string;
}

/** Every message of a conversation through the public API, ascending seq. */
export async function listAllMessages(api: ApiClient, conversationId: string): Promise<MessageView[]> {
  const all: MessageView[] = [];
  for (;;) {
    const after = all.length > 0 ? all[all.length - 1]!.seq : 0;
    const page = await api.get<{ items: MessageView[]; hasMore: boolean }>(
      `/v1/conversations/${conversationId}/messages?afterSeq=${after}&limit=200`,
    );
    if (page.status !== 200) throw new Error(`list messages: ${page.status} ${JSON.stringify(page.body)}`);
    all.push(...page.body.items.map(({ id, seq, clientMsgId }) => ({ id, seq, clientMsgId })));
    if (page.body.items.length < 200) return all;
  }
}

/** The MessageSent events of a conversation's stream: what the log says was sent. */
export async function sentInLog(eventStore: EventStore, conversationId: string): Promise<MessageView[]> {
  const sent: MessageView[] = [];
  let from = 0;
  for (;;) {
    let events;
    try {
      events = await eventStore.readStream(`conversation-${conversationId}`, {
        fromRevision: from,
        maxCount: 1000,
      });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return sent;
      throw error;
    }
    for (const event of events) {
      if (event.type !== 'MessageSent') continue;
      const data = event.data as { messageId: string; seq: number; clientMsgId: string };
      sent.push({ id: data.messageId, seq: data.seq, clientMsgId: data.clientMsgId });
    }
    if (events.length < 1000) return sent;
    from = events[events.length - 1]!.revision + 1;
  }
}

/**
 * The invariants after a fault, for one conversation: seqs gap-free; each acked
 * send present once with the answered id and seq; each failed or hung send
 * present at most once, and exactly once after a retry with its clientMsgId,
 * which answers the stored message; and the read model equal to the log.
 */
export async function checkNothingLost(
  reader: RegisteredUser,
  eventStore: EventStore,
  conversationId: string,
  outcomes: readonly SendOutcome[],
): Promise<{ acked: number; retried: number }> {
  const mine = outcomes.filter((outcome) => outcome.conversationId === conversationId);
  // WebSocket acks do not wait for the read models: let them catch up with the log first.
  const before = await readModelOnceEqualToLog(reader, eventStore, conversationId);
  expectGapFreeAndUnique(before);
  const byClientMsgId = new Map(before.map((message) => [message.clientMsgId, message]));
  for (const outcome of mine.filter((outcome) => outcome.status === 'acked')) {
    expect(byClientMsgId.get(outcome.clientMsgId), `acked ${outcome.clientMsgId}`).toEqual({
      id: outcome.messageId,
      seq: outcome.seq,
      clientMsgId: outcome.clientMsgId,
    });
  }
  // Unanswered sends: the client does not know; its retry with the same clientMsgId must settle it.
  const unanswered = mine.filter((outcome) => outcome.status !== 'acked');
  for (const outcome of unanswered) {
    const retried = await outcome.sender.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: outcome.clientMsgId,
      body: outcome.body,
    });
    expect([200, 201], `retry of ${outcome.clientMsgId}: ${JSON.stringify(retried.body)}`).toContain(
      retried.status,
    );
    const earlier = byClientMsgId.get(outcome.clientMsgId);
    if (earlier) expect((retried.body as { id: string }).id).toBe(earlier.id);
  }
  const after = await listAllMessages(reader.api, conversationId);
  expectGapFreeAndUnique(after);
  const present = new Set(after.map((message) => message.clientMsgId));
  for (const outcome of mine) expect(present.has(outcome.clientMsgId), outcome.clientMsgId).toBe(true);
  expect(after.length).toBe(
    before.length + unanswered.filter((o) => !byClientMsgId.has(o.clientMsgId)).length,
  );
  await readModelOnceEqualToLog(reader, eventStore, conversationId);
  return { acked: mine.length - unanswered.length, retried: unanswered.length };
}

/** The messages read model once it holds exactly what the log says was sent, in seq order. */
async function readModelOnceEqualToLog(
  reader: RegisteredUser,
  eventStore: EventStore,
  conversationId: string,
): Promise<MessageView[]> {
  let model: MessageView[] = [];
  await waitFor('the messages read model to equal the log', async () => {
    const log = await sentInLog(eventStore, conversationId);
    model = await listAllMessages(reader.api, conversationId);
    return JSON.stringify(log) === JSON.stringify(model);
  });
  return model;
}

function expectGapFreeAndUnique(messages: readonly MessageView[]): void {
  expect(messages.map((message) => message.seq)).toEqual(messages.map((_, index) => index + 1));
  expect(new Set(messages.map((message) => message.clientMsgId)).size).toBe(messages.length);
}
