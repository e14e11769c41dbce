import { describe, expect, it } from 'vitest';
import { runKill9Rounds } from './support/kill9-rounds.js';

const ROUNDS = Number(process.env.KILL9_ROUNDS ?? 5);
const SEED = Number(process.env.KILL9_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('kill -9 under load', () => {
  it(`50 WebSocket senders lose nothing and double nothing over ${ROUNDS} SIGKILLs at random moments (seed ${SEED})`, async () => {
    // The seed replays the same kill moments: KILL9_SEED=<seed> npx vitest run test/faults/kill9.e2e.spec.ts
    process.stdout.write(`kill -9 seed ${SEED}\n`);
    const result = await runKill9Rounds({
      rounds: ROUNDS,
      seed: SEED,
      killAfterMs: { min: 300, max: 2_500 },
      report: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
    });

    expect(result.rounds).toBeGreaterThanOrEqual(5);
    // Each kill must have had something to lose: sends in flight, after some that were acknowledged.
    for (const round of result.perRound) expect(round.inFlightAtKill).toBeGreaterThan(0);
    expect(result.acked).toBeGreaterThan(0);
    expect(result).toMatchObject({ lost: 0, doubled: 0, mismatched: 0, seqGaps: 0 });
    expect(result.readModelProblems).toEqual([]);
    expect(result.unreadProblems).toEqual([]);
  }, 480_000);
});
