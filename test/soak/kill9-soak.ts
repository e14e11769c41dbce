/**
 * `npm run soak`: the kill -9 workload of test/faults/kill9.e2e.spec.ts for many
 * rounds, until at least SOAK_ACKED sends (10,000) were acknowledged and at least
 * SOAK_ROUNDS rounds (10) ran. Prints one JSON line per round and a summary line;
 * exits 1 when anything acknowledged was lost or doubled, or a read model disagrees.
 *
 *   SOAK_SEED      replays a run's kill moments (printed on the first line)
 *   SOAK_ROUNDS    fewest rounds (10)
 *   SOAK_ACKED     fewest acknowledged sends (10000)
 *   SOAK_KILL_MS   the kill comes uniformly within [SOAK_KILL_MS/4, SOAK_KILL_MS) of the senders connecting (20000)
 */
import { runKill9Rounds } from '../faults/support/kill9-rounds.js';

const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const rounds = Number(process.env.SOAK_ROUNDS ?? 10);
const minAcked = Number(process.env.SOAK_ACKED ?? 10_000);
const killMs = Number(process.env.SOAK_KILL_MS ?? 20_000);

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

print({ soak: 'kill9', seed, rounds, minAcked, killMs });
const result = await runKill9Rounds({
  rounds,
  minAcked,
  seed,
  killAfterMs: { min: killMs / 4, max: killMs },
  report: print,
});
const clean =
  result.lost === 0 &&
  result.doubled === 0 &&
  result.mismatched === 0 &&
  result.seqGaps === 0 &&
  result.readModelProblems.length === 0 &&
  result.unreadProblems.length === 0;
process.exit(clean ? 0 : 1);
