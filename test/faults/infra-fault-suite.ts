import { expect } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { checkNothingLost, LOAD_ENVIRONMENT, type ChatLoad, type ChatRoom } from './infra-load.js';

/**
 * What the infrastructure fault suites (infra-*.e2e.spec.ts) share around their
 * load: the server they break the backing services of, and the checks every
 * fault must pass, so that each suite states only its fault.
 */

/** A send unanswered this long counts as hung: every command must answer well within it. */
export const SEND_DEADLINE_MS = 20_000;

/**
 * Parley on PostgreSQL with its limits out of the load's way; `environment` names
 * the backing services (DATABASE_URL at least) and whatever else the fault needs.
 */
export function startLoadedServer(environment: Record<string, string>): Promise<TestServer> {
  return startTestServer('postgres', { ...LOAD_ENVIRONMENT, ...environment });
}

/**
 * `/ready`'s code and status: 503 `not_ready` when a backing service it needs is
 * away, 200 `degraded` while only one Parley can do without is, else 200 `ready`.
 */
export async function readiness(parley: TestServer): Promise<{ code: number; status: string }> {
  const response = await fetch(`${parley.baseUrl}/ready`);
  return { code: response.status, status: ((await response.json()) as { status: string }).status };
}

/** `/ready`'s HTTP code alone. */
export async function readyStatus(parley: TestServer): Promise<number> {
  return (await readiness(parley)).code;
}

/**
 * What a fault must leave behind, whatever it was: every send answered within the
 * deadline, no failure but the ones a missing dependency explains, and every
 * acknowledged send of each room in its log. Prints the load's summary under `what`.
 */
export async function expectNothingHungOrLost(
  parley: TestServer,
  load: ChatLoad,
  rooms: readonly ChatRoom[],
  what: string,
): Promise<void> {
  process.stdout.write(`${what}: ${load.summary()}\n`);
  expect(load.count('hung')).toBe(0);
  expect(load.unexpectedFailures()).toEqual({});
  for (const room of rooms)
    await checkNothingLost(
      room.owner,
      parley.parley.infrastructure.eventStore,
      room.conversationId,
      load.outcomes,
    );
}
