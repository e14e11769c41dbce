import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFeature } from '../../app/features/accounts.feature.js';
import { conversationsFeature } from '../../app/features/conversations.feature.js';
import { ApiClient, registerUser } from '../../test/support/api-client.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';
import { waitFor } from '../../test/support/wait-for.js';
import { registerNamedUser } from './testing/admin-users.js';
import { appendAnalyticsHistory, HISTORY_RANGE, type AnalyticsHistory } from './testing/analytics-history.js';

interface Status {
  name: string;
  version: number;
  checkpoint: string;
  lagEvents: number;
  status: string;
}

interface Storage {
  environment: Record<string, string>;
  remove(): Promise<void>;
}

/** Where a deployment keeps its data between two starts: a database, or an embedded data folder. */
async function openStorage(mode: TestMode): Promise<Storage> {
  if (mode === 'postgres') {
    const database = await createTestDatabase('analytics');
    return { environment: { DATABASE_URL: database.url }, remove: () => database.drop() };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-analytics-'));
  return { environment: { DATA_DIR: dataDir }, remove: () => rm(dataDir, { recursive: true, force: true }) };
}

describe.each<TestMode>(['embedded', 'postgres'])('analytics added after the fact (%s)', (mode) => {
  let storage: Storage | undefined;
  let server: TestServer;
  let admin: ApiClient;
  let history: AnalyticsHistory;
  /** The chat projections' checkpoints when the deployment without analytics stopped. */
  let earlier: Status[];

  const statuses = async (): Promise<Status[]> => (await admin.get('/v1/admin/projections')).body.items;
  const analyticsStatus = async () => (await statuses()).find((status) => status.name === 'analytics');

  beforeAll(async () => {
    storage = await openStorage(mode);
    const { environment } = storage;
    // A deployment from before analytics existed: only the chat features, which project the history.
    const before = await startTestServer(mode, environment, [accountsFeature(), conversationsFeature()]);
    try {
      history = await appendAnalyticsHistory(before.parley.infrastructure.eventStore);
      await waitFor('the chat projections to apply the history', async () =>
        (await before.parley.infrastructure.projections.status()).every((status) => status.lagEvents === 0),
      );
      earlier = await before.parley.infrastructure.projections.status();
    } finally {
      await before.close();
    }
    // The same data under today's features: the analytics projection is new there.
    server = await startTestServer(mode, { ...environment, PARLEY_ADMINS: 'analyst' });
    admin = (await registerNamedUser(new ApiClient(server.baseUrl), 'analyst')).api;
    // Two starts of a server, embedded ones included: generous for a busy machine.
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    await storage?.remove();
  });

  it('fills itself from position 0 of the log, where the older projections already were', async () => {
    const head = earlier.find((status) => status.name === 'messages')!;
    expect(BigInt(head.checkpoint)).toBeGreaterThan(0n);
    expect(earlier.map((status) => status.name)).not.toContain('analytics');
    await waitFor('analytics to reach the older projections', async () => {
      const analytics = await analyticsStatus();
      return analytics !== undefined && BigInt(analytics.checkpoint) >= BigInt(head.checkpoint);
    });
  });

  it('answers the figures worked out by hand for the history', async () => {
    await waitFor('analytics to catch up', async () => (await analyticsStatus())?.lagEvents === 0);
    const response = await admin.get(`/v1/admin/analytics?from=${HISTORY_RANGE.from}&to=${HISTORY_RANGE.to}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ days: history.expectedDays });
  });

  it('keeps counting live messages, on the day they are sent', async () => {
    const api = new ApiClient(server.baseUrl);
    const [ann, ben] = [await registerUser(api, 'ann'), await registerUser(api, 'ben')];
    const created = await ann.api.post('/v1/conversations', { kind: 'direct', memberIds: [ben.id] });
    expect(created.status).toBe(201);
    const sentAt: number[] = [];
    for (const sender of [ann, ann, ben]) {
      const response = await sender.api.post(`/v1/conversations/${created.body.id}/messages`, {
        clientMsgId: randomUUID(),
        body: 'hello',
      });
      expect(response.status).toBe(201);
      sentAt.push(Date.parse(response.body.createdAt));
    }
    const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);
    // From the first message's day to the last's: one day, unless they straddle midnight (UTC).
    const query = `/v1/admin/analytics?from=${dayOf(sentAt[0]!)}&to=${dayOf(sentAt[2]!)}`;
    const total = async () =>
      ((await admin.get(query)).body.days as { messages: number }[]).reduce(
        (sum, day) => sum + day.messages,
        0,
      );
    await waitFor('the live messages in analytics', async () => (await total()) === 3);
    const [first] = (await admin.get(query)).body.days;
    // ben answered ann's run of two, which started with her first message: one wait, on that day.
    expect(first.medianFirstReplySeconds).toBe((sentAt[2]! - sentAt[0]!) / 1000);
  });

  it('is rebuilt beside the live version on request, to the same figures', async () => {
    const before = await analyticsStatus();
    const started = await admin.post('/v1/admin/projections/analytics/rebuild');
    expect(started.status).toBe(202);
    expect(started.body).toEqual({
      name: 'analytics',
      fromVersion: before!.version,
      toVersion: before!.version + 1,
    });
    await waitFor(
      'the rebuilt analytics to be swapped in',
      async () => {
        const after = await analyticsStatus();
        return after?.version === before!.version + 1 && after.status !== 'rebuilding';
      },
      30_000,
    );
    const response = await admin.get(`/v1/admin/analytics?from=${HISTORY_RANGE.from}&to=${HISTORY_RANGE.to}`);
    expect(response.body).toEqual({ days: history.expectedDays });
  });
});
