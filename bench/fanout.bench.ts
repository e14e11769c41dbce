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
import type { TestServer } from '../test/support/server.js';

const CLIENT_FILE = new URL('./fanout.client.ts', import.meta.url);

/** Runs one load in a child process against a server of this one; answers figures and RSS per connection. */
async function runLoad(order: FanoutOrder, server?: TestServer) {
  const load = forkLoad<FanoutReport>(CLIENT_FILE);
  try {
    const before = settledMemory();
    load.send(order);
    await load.next('connected', 60_000 + order.clients * 50);
    const memory = perConnectionKB(before, order.clients);
    const started = { cpu: process.cpuUsage(), at: performance.now() };
    const { figures } = await load.next('done', order.durationMs + 60_000);
    const cpu = serverCpu(started, figures.sendsPerSec);
    const backlog = server ? await projectionsCatchUp(server) : {};
    return { ...figures, ...cpu, ...memory, ...backlog };
  } finally {
    load.stop();
  }
}

/** Past this the bench goes on with read models still behind, and says so in the figures. */
const CATCH_UP_DEADLINE_MS = 180_000;

/**
 * Events in the log the slowest projection had not applied as the load ended, and
 * how long the node then took to apply them. Read models that fall behind defer
 * work (and CPU) past the measured window: a load the node only seems to keep up
 * with shows here. Waiting for them also keeps that work out of the next load's window.
 */
async function projectionsCatchUp(server: TestServer) {
  const started = performance.now();
  const projectionBacklogEvents = await projectionBacklog(server);
  let behind = projectionBacklogEvents;
  while (behind > 0 && performance.now() - started < CATCH_UP_DEADLINE_MS) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    behind = await projectionBacklog(server);
  }
  const caughtUp = behind === 0;
  return {
    projectionBacklogEvents,
    ...(caughtUp
      ? { projectionCatchUpMs: round(performance.now() - started, 0) }
      : { projectionsStillBehind: behind }),
  };
}

async function projectionBacklog(server: TestServer): Promise<number> {
  const [row] = await server.parley.infrastructure.sql.query<{ backlog: string }>(
    `select (select coalesce(max(position), 0) from es_events) - coalesce(min(position), 0) as backlog
       from projection_checkpoints`,
  );
  return Number(row?.backlog ?? 0);
}

/**
 * The server's CPU over a load (it runs in this process; the clients do not): how
 * busy its thread was, and the CPU time one accepted send cost. The second is the
 * steadier figure to compare changes by, as throughput on two shared cores is noisy.
 */
function serverCpu(started: { cpu: NodeJS.CpuUsage; at: number }, sendsPerSec: number) {
  const used = process.cpuUsage(started.cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const wallMs = performance.now() - started.at;
  return {
    serverCpuPercent: round((100 * cpuMs) / wallMs, 1),
    serverCpuUsPerSend: round((cpuMs * 1000) / Math.max(1, (sendsPerSec * wallMs) / 1000), 1),
  };
}

/** The ceiling: a bare `ws` server relaying each frame to the 10 sockets of the sender's group. */
async function bareLoad(clients: number, durationMs: number, pacedPerSec?: number) {
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
    const paced = pacedPerSec ? { pacedPerSec } : {};
    return await runLoad({
      target: 'bare',
      url,
      tokens: [],
      conversations: [],
      clients,
      durationMs,
      ...paced,
    });
  } finally {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * What the goal names: 5,000 sends/s and 50,000 deliveries/s. A send reaches the
 * 9 other members of its group, so 5,600 sends/s offer 50,400 deliveries/s.
 */
const GOAL_SENDS_PER_SEC = 5_600;

/**
 * `fanout [clients=2000] [seconds=10] [perSec=5600]` (perSec 0: the most it takes only): authenticated sockets in
 * group conversations of 10 (PostgreSQL mode, all features on). Two loads: every
 * socket sending on a schedule that adds up to `perSec` (latency at that load),
 * then every socket sending as fast as its answers come (the most the node
 * takes; latency there is mostly queueing, as 2,000 sends are always in flight).
 * Then the same two over a bare `ws` relay as the ceiling, and the ratio of the
 * most each takes. The clients run in a child process; RSS per connection is the server's.
 */
export async function benchFanout(args: string[]): Promise<void> {
  const clients = Math.max(GROUP_SIZE, Math.floor(Number(args[0] ?? 2000) / GROUP_SIZE) * GROUP_SIZE);
  const durationMs = Number(args[1] ?? 10) * 1000;
  const pacedPerSec = Number(args[2] ?? GOAL_SENDS_PER_SEC);
  const server = await startBenchServer({ WS_SEND_BUFFER_BYTES: String(64 * 1024 * 1024) });
  let parley: Awaited<ReturnType<typeof runLoad>> | undefined;
  let parleyMax: Awaited<ReturnType<typeof runLoad>>;
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
    const order = {
      target: 'parley',
      url: wsUrl(server.baseUrl),
      tokens,
      conversations,
      clients,
      durationMs,
    } as const;
    parley = pacedPerSec > 0 ? await runLoad({ ...order, pacedPerSec }, server) : undefined;
    parleyMax = await runLoad(order, server);
  } finally {
    await server.close();
  }
  const shape = { clients, groupSize: GROUP_SIZE };
  if (parley) report({ workload: 'fanout', mode: 'postgres', ...shape, pacedPerSec, ...parley });
  report({ workload: 'fanout-max', mode: 'postgres', ...shape, ...parleyMax });
  if (pacedPerSec > 0) {
    const bare = await bareLoad(clients, durationMs, pacedPerSec);
    report({ workload: 'fanout-bare-ws', ...shape, pacedPerSec, ...bare });
  }
  const bareMax = await bareLoad(clients, durationMs);
  report({ workload: 'fanout-bare-ws-max', ...shape, ...bareMax });
  report({
    workload: 'fanout-ratio',
    sends: round(parleyMax.sendsPerSec / Math.max(1, bareMax.sendsPerSec), 3),
    deliveries: round(parleyMax.deliveriesPerSec / Math.max(1, bareMax.deliveriesPerSec), 3),
  });
}
