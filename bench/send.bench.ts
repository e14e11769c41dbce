import { randomUUID } from 'node:crypto';
import { Agent, setGlobalDispatcher } from 'undici';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { startTestServer, type TestMode } from '../test/support/server.js';
import { report, round, summarize } from './stats.js';

const CLIENTS = 64;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const WARMUP_MS = 2_000;

/**
 * REST sends with 64 concurrent clients, each awaiting its answer before the next
 * send: (a) spread over 64 conversations, (b) all into one conversation; then
 * history pages. The load generator runs in the same process as the server (as
 * the issue asks: "load generator included").
 */
async function sendLoop(
  clients: { user: RegisteredUser; conversationId: string }[],
  durationMs: number,
): Promise<{ sends: number; seconds: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let sends = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    clients.map(async ({ user, conversationId }) => {
      while (performance.now() < deadline) {
        const before = performance.now();
        const response = await user.api.post(`/v1/conversations/${conversationId}/messages`, {
          clientMsgId: randomUUID(),
          body: 'a typical chat message of some sixty characters, give or take',
        });
        latencies.push(performance.now() - before);
        if (response.status === 201) sends += 1;
        else errors += 1;
      }
    }),
  );
  return { sends, seconds: (performance.now() - started) / 1000, latencies, errors };
}

async function pageLoop(clients: { user: RegisteredUser; conversationId: string }[], durationMs: number) {
  const latencies: number[] = [];
  let pages = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    clients.map(async ({ user, conversationId }) => {
      while (performance.now() < deadline) {
        const before = performance.now();
        const response = await user.api.get(`/v1/conversations/${conversationId}/messages?limit=50`);
        latencies.push(performance.now() - before);
        if (response.status === 200) pages += 1;
      }
    }),
  );
  return { pages, seconds: (performance.now() - started) / 1000, latencies };
}

export async function benchSend(args: string[]): Promise<void> {
  const mode = (args[0] ?? 'postgres') as TestMode;
  setGlobalDispatcher(new Agent({ connections: CLIENTS * 2, pipelining: 1 }));
  const server = await startTestServer(mode, {
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
  });
  try {
    const anonymous = new ApiClient(server.baseUrl);
    const users: RegisteredUser[] = [];
    for (let index = 0; index < CLIENTS; index++) users.push(await registerUser(anonymous, `bench${index}`));
    const owner = users[0]!;
    const spread = await Promise.all(
      users.map(async (user) => {
        const response = await user.api.post('/v1/conversations', {
          kind: 'group',
          memberIds: [],
          title: 'solo',
        });
        return { user, conversationId: response.body.id as string };
      }),
    );
    const hot = await owner.api.post('/v1/conversations', {
      kind: 'group',
      memberIds: users.slice(1).map((user) => user.id),
      title: 'hot',
    });
    const oneConversation = users.map((user) => ({ user, conversationId: hot.body.id as string }));

    for (const [workload, clients] of [
      ['send-spread', spread],
      ['send-one-conversation', oneConversation],
    ] as const) {
      await sendLoop(clients, WARMUP_MS);
      const result = await sendLoop(clients, DURATION_MS);
      report({
        workload,
        mode,
        clients: CLIENTS,
        sendsPerSec: round(result.sends / result.seconds, 0),
        errors: result.errors,
        ...summarize(result.latencies),
      });
    }
    await pageLoop(oneConversation, WARMUP_MS);
    const pages = await pageLoop(oneConversation, DURATION_MS);
    report({
      workload: 'history-page',
      mode,
      clients: CLIENTS,
      pagesPerSec: round(pages.pages / pages.seconds, 0),
      ...summarize(pages.latencies),
    });
  } finally {
    await server.close();
  }
}
