import { benchConnections } from './connections.bench.js';
import { benchDigest } from './digest.bench.js';
import { benchEventStore } from './eventstore.bench.js';
import { benchFanout } from './fanout.bench.js';
import { benchRebuild } from './rebuild.bench.js';
import { benchSearch } from './search.bench.js';
import { benchSend } from './send.bench.js';
import { dropUndroppedDatabases } from '../test/support/postgres.js';

/** `npm run bench -- <workload> [args…]`: prints one JSON line per measured case. */
const workloads: Record<string, (args: string[]) => Promise<void>> = {
  eventstore: benchEventStore,
  send: benchSend,
  search: benchSearch,
  fanout: benchFanout,
  connections: benchConnections,
  rebuild: benchRebuild,
  digest: benchDigest,
};

const [name, ...args] = process.argv.slice(2);
const run = name ? workloads[name] : undefined;
if (!run) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(workloads).join('|')}> [args]\n`);
  process.exit(2);
}
// A run stopped from outside (Ctrl-C, `timeout`) must not leave its databases behind.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}; dropping its databases\n`);
    void dropUndroppedDatabases().finally(() => process.exit(code));
  });
}
await run(args);
