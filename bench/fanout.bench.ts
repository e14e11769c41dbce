import { GROUP_SIZE, type FanoutOrder, type FanoutReport } from './fanout.client.js';
import { report, round } from './stats.js';
import {
  forkLoad,
  mapLimit,
  registerUsers,
  perConnectionKB,
  settledMemory,
  startBenchServer,
  withDeadline,
  ws,
  wsUrl,
  type BenchSocket,
} from './ws-load.js';

const CLIENT_FILE = new URL('./fanout.client.ts', import.meta.url);

/** Runs one load in a child process against a server of this one; answers figures and RSS per connection. */
async function runLoad(order: FanoutOrder) {
  const load = forkLoad<FanoutReport>(CLIENT_FILE);
  try {
    const before = settledMemory();
    load.send(order);
    await load.next('connected', 60_000 + order.clients * 50);
    const memory = perConnectionKB(before, order.clients);
    const { figures } = await load.next('done', order.durationMs + 60_000);
    return { ...figures, ...memory };
  } finally {
    load.stop();
  }
}

/** The ceiling: a bare `ws` server relaying each frame to the 10 sockets of the sender's group. */
async function bareLoad(clients: number, durationMs: number) {
  const server = new ws.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await withDeadline(new Promise<void>((resolve) => server.on('listening', resolve)), 10_000, 'bare listen');
  const groups = new Map<string, BenchSocket[]>();
  server.on('connection', (socket, request) => {
    const group = new URL(request.url ?? '/', 'ws://x').searchParams.get('g') ?? '';
    groups.set(group, [...(groups.get(group) ?? []), socket]);
    socket.on('message', (data) => {
      for (const member of groups.get(group) ?? []) member.send(data);
    });
  });
  try {
    const url = `ws://127.0.0.1:${server.address().port}/`;
    return await runLoad({ target: 'bare', url, tokens: [], conversations: [], clients, durationMs });
  } finally {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * `fanout [clients=2000] [seconds=10]`: authenticated sockets in group
 * conversations of 10, every socket sending (PostgreSQL mode, all features on);
 * then the same shape over a bare `ws` relay as the ceiling, and the ratio. The
 * clients run in a child process; RSS per connection is the server's.
 */
export async function benchFanout(args: string[]): Promise<void> {
  const clients = Math.max(GROUP_SIZE, Math.floor(Number(args[0] ?? 2000) / GROUP_SIZE) * GROUP_SIZE);
  const durationMs = Number(args[1] ?? 10) * 1000;
  const server = await startBenchServer({ WS_SEND_BUFFER_BYTES: String(64 * 1024 * 1024) });
  let parley: Awaited<ReturnType<typeof runLoad>>;
  try {
    const users = await registerUsers(server.baseUrl, clients);
    const groups = Array.from({ length: clients / GROUP_SIZE }, (_value, group) => group);
    const conversations = await mapLimit(groups, 8, async (group) => {
      const members = users.slice(group * GROUP_SIZE, (group + 1) * GROUP_SIZE);
      const created = await members[0]!.api.post('/v1/conversations', {
        kind: 'group',
        memberIds: members.slice(1).map((member) => member.id),
        title: `fanout ${group}`,
      });
      if (created.status !== 201) throw new Error(`creating a conversation: HTTP ${created.status}`);
      return created.body.id as string;
    });
    const tokens = users.map((user) => user.token);
    parley = await runLoad({
      target: 'parley',
      url: wsUrl(server.baseUrl),
      tokens,
      conversations,
      clients,
      durationMs,
    });
  } finally {
    await server.close();
  }
  report({ workload: 'fanout', mode: 'postgres', clients, groupSize: GROUP_SIZE, ...parley });
  const bare = await bareLoad(clients, durationMs);
  report({ workload: 'fanout-bare-ws', clients, groupSize: GROUP_SIZE, ...bare });
  report({
    workload: 'fanout-ratio',
    sends: round(parley.sendsPerSec / Math.max(1, bare.sendsPerSec), 3),
    deliveries: round(parley.deliveriesPerSec / Math.max(1, bare.deliveriesPerSec), 3),
  });
}
