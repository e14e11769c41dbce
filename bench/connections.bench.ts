import { readFileSync } from 'node:fs';
import type { ConnectOrder, ConnectReport } from './connections.client.js';
import { report, round } from './stats.js';
import {
  forkLoad,
  registerUsers,
  perConnectionKB,
  settledMemory,
  startBenchServer,
  wsUrl,
} from './ws-load.js';

/** Descriptors the server keeps for its database pool, listeners, /proc reads. */
const FD_HEADROOM = 200;

const SOURCE_ADDRESSES = Array.from({ length: 8 }, (_value, index) => `127.0.0.${index + 1}`);

/** This process's open-file limit: each connection costs the server one descriptor. */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? NaN);
}

/** The server's own count of open sockets (its `parley_ws_connections` gauge). */
async function serverConnections(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('parley_ws_connections'));
  return Number(line?.split(' ').at(-1) ?? NaN);
}

/**
 * `connections [target=20000]`: idle authenticated sockets opened by a child
 * process (spread over 127.0.0.1–8 as source addresses) against one node; reports
 * how many the node held and its RSS growth per connection. Stops at the first
 * failure (the file-descriptor limit, say) and reports what it reached.
 */
export async function benchConnections(args: string[]): Promise<void> {
  const target = Number(args[0] ?? 20_000);
  // Past its descriptor limit the node cannot even read its own memory (/proc): keep headroom.
  const reachable = Math.min(target, openFileLimit() - FD_HEADROOM);
  // Targets past 32,000 put more than WS_MAX_CONNECTIONS_PER_USER's default on each of the 1,000 users.
  const server = await startBenchServer({ WS_MAX_CONNECTIONS_PER_USER: String(target) });
  const load = forkLoad<ConnectReport>(new URL('./connections.client.ts', import.meta.url));
  try {
    // Several sockets per user, as several devices: the cost measured is the connection's.
    const users = await registerUsers(server.baseUrl, Math.min(reachable, 1000));
    const before = settledMemory();
    const order: ConnectOrder = {
      url: wsUrl(server.baseUrl),
      tokens: users.map((user) => user.token),
      target: reachable,
      localAddresses: SOURCE_ADDRESSES,
    };
    load.send(order);
    // Ten seconds a socket at worst, 200 at a time, plus slack: never hangs.
    const outcome = await load.next('done', Math.max(60_000, (reachable / 200) * 10_000));
    const held = await serverConnections(server.baseUrl);
    const memory = perConnectionKB(before, held);
    report({
      workload: 'connections',
      mode: 'postgres',
      target,
      ...(reachable < target ? { cappedAt: reachable } : {}),
      held,
      clientHeld: outcome.held,
      users: users.length,
      sourceAddresses: SOURCE_ADDRESSES.length,
      openFileLimit: openFileLimit(),
      seconds: round(outcome.seconds, 1),
      ...memory,
      ...(outcome.error ? { stoppedBy: outcome.error } : {}),
    });
  } finally {
    load.stop();
    await server.close();
  }
}
