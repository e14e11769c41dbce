import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../test/support/api-client.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { waitFor } from '../test/support/wait-for.js';
import { createParleyProcess, type ParleyProcess } from './testing/parley-process.js';
import { ReadModelAudit, sendMessage } from './testing/read-model-audit.js';

/** Senders that keep sending until stopped: each has one request in flight at any time. */
function keepSending(user: RegisteredUser, conversationId: string, label: string, senders = 3) {
  let stopped = false;
  const acked: string[] = [];
  const loops = Array.from({ length: senders }, async (_, sender) => {
    for (let turn = 0; !stopped; turn += 1) {
      const id = await sendMessage(user.api, conversationId, `${label} ${sender}.${turn}`);
      if (id) acked.push(id);
    }
  });
  return {
    acked,
    async stop(): Promise<string[]> {
      stopped = true;
      await Promise.all(loops);
      return acked;
    },
  };
}

describe('several projector processes on one PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let audit: ReadModelAudit;
  let first: ParleyProcess;
  let second: ParleyProcess;
  let api: ParleyProcess;
  let restarted: ParleyProcess | undefined;
  let alice: RegisteredUser;
  let conversationId: string;

  /** Every message of the log is in the read model once, counted once, and every acked send is logged. */
  async function expectEachMessageOnce(acked: readonly string[]): Promise<void> {
    await audit.waitForCatchUp();
    const { logged, projected } = await audit.messageIds();
    expect(new Set(logged).size).toBe(logged.length);
    expect([...projected].sort()).toEqual([...logged].sort());
    expect(await audit.countedMessages()).toBe(logged.length);
    const inLog = new Set(logged);
    expect(acked.filter((id) => !inLog.has(id))).toEqual([]);
  }

  beforeAll(async () => {
    database = await createTestDatabase('projector_lock');
    audit = await ReadModelAudit.open(database.url);
    first = await createParleyProcess({ databaseUrl: database.url, roles: ['projector'] });
    second = await createParleyProcess({ databaseUrl: database.url, roles: ['projector'] });
    api = await createParleyProcess({ databaseUrl: database.url, roles: ['api,realtime'] });
    // The first alone first, so it is the one holding the lock.
    await first.start();
    await Promise.all([second.start(), api.start()]);
    alice = await registerUser(new ApiClient(api.baseUrl), 'alice');
    const bob = await registerUser(new ApiClient(api.baseUrl), 'bob');
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    conversationId = created.body.id as string;
  }, 400_000);

  afterAll(async () => {
    await Promise.all([first, second, api, restarted].map(async (child) => child?.dispose()));
    await audit?.close();
    await database?.drop();
  });

  it('lets exactly one of them project while the other stands by', async () => {
    expect((await first.ready()).projector).toEqual({ running: true, lock: 'held' });
    expect((await second.ready()).projector).toEqual({ running: false, lock: 'standby' });
    expect((await api.ready()).projector).toEqual({ running: false, lock: 'none' });
    expect(await audit.projectorLockHolders()).toBe(1);
  });

  it('applies the events written while both run exactly once', async () => {
    const acked = await Promise.all(
      Array.from({ length: 30 }, (_, turn) => sendMessage(alice.api, conversationId, `both ${turn}`)),
    );
    expect(acked.filter((id) => id === undefined)).toEqual([]);
    await expectEachMessageOnce(acked as string[]);
  });

  it('hands over to the standby when the holder is killed, which catches up without duplicates', async () => {
    const sending = keepSending(alice, conversationId, 'kill');
    await waitFor('sends before the kill', () => sending.acked.length >= 10, 30_000);
    expect(await first.signal('SIGKILL')).toBeNull();
    await waitFor(
      'the standby to take the lock',
      async () => (await second.ready()).projector.lock === 'held',
      30_000,
    );
    const takenOverAt = sending.acked.length;
    await waitFor('sends after the takeover', () => sending.acked.length >= takenOverAt + 10, 30_000);
    const acked = await sending.stop();
    expect(await audit.projectorLockHolders()).toBe(1);
    await expectEachMessageOnce(acked);
  });

  it('stops projecting when its lock connection dies, and takes the lock again', async () => {
    const sending = keepSending(alice, conversationId, 'lost');
    await waitFor('sends before the lock connection dies', () => sending.acked.length >= 10, 30_000);
    expect(await audit.terminateProjectorLockSessions()).toBe(1);
    await waitFor('the holder to notice', () => second.output().includes('projector lock lost'), 30_000);
    // The only other projector process is gone: the same one takes the lock again.
    await waitFor(
      'the lock taken again',
      async () => (await second.ready()).projector.lock === 'held',
      30_000,
    );
    const retakenAt = sending.acked.length;
    await waitFor('sends after the lock came back', () => sending.acked.length >= retakenAt + 10, 30_000);
    expect(await audit.projectorLockHolders()).toBe(1);
    await expectEachMessageOnce(await sending.stop());
  });

  it('on SIGTERM saves its checkpoints, exits 0 and leaves the lock to a standby', async () => {
    restarted = await createParleyProcess({ databaseUrl: database.url, roles: ['projector'] });
    await restarted.start();
    expect((await restarted.ready()).projector.lock).toBe('standby');
    const sending = keepSending(alice, conversationId, 'term');
    await waitFor('sends before the SIGTERM', () => sending.acked.length >= 10, 30_000);
    expect(await second.signal('SIGTERM')).toBe(0);
    await waitFor(
      'the standby to take the lock',
      async () => (await restarted!.ready()).projector.lock === 'held',
      30_000,
    );
    const handedOverAt = sending.acked.length;
    await waitFor('sends after the handover', () => sending.acked.length >= handedOverAt + 10, 30_000);
    await expectEachMessageOnce(await sending.stop());
  });

  it('on SIGTERM with sends in flight, answers them, exits 0, and every acked send is in the log', async () => {
    const sending = keepSending(alice, conversationId, 'in flight', 6);
    await waitFor('sends under way', () => sending.acked.length >= 10, 30_000);
    expect(await api.signal('SIGTERM')).toBe(0);
    const acked = await sending.stop();
    await expectEachMessageOnce(acked);
    expect(await audit.projectorLockHolders()).toBe(1);
  });
});
