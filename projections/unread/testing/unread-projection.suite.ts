import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationCommands } from '../../../commands/conversations/conversation-commands.js';
import type { RecordedEvent } from '../../../infra/eventstore/event-store.js';
import type { UnreadCounters, UnreadState } from '../../../infra/unread/unread-counters.js';
import { getConversation } from '../../../readmodels/conversations/conversations.query.js';
import { openReadModelFixture, type ReadModelFixture } from '../../testing/read-model-fixture.js';
import type { EngineName } from '../../testing/test-engine.js';
import { unreadChangeOf } from '../unread-changes.js';
import { UnreadProjector } from '../unread.projector.js';
import { ChatWorkload, workloadArbitrary } from './chat-workload.js';

const SETTLE_TIMEOUT_MS = 30_000;

/**
 * The unread projection against the Postgres read model, on a real event store
 * with the chat projections running: one suite, run for each counters engine
 * (`openCounters` gives a fresh, empty sink) and each event store engine.
 */
export function unreadProjectionSuite(
  countersEngine: string,
  openCounters: () => Promise<UnreadCounters>,
): void {
  describe.each<EngineName>(['postgres', 'pglite'])(
    `unread counters (${countersEngine}) on the %s event store`,
    (engineName) => {
      let fixture: ReadModelFixture;
      let counters: UnreadCounters;
      let projector: UnreadProjector;
      let commands: ConversationCommands;
      const workloads: ChatWorkload[] = [];

      beforeAll(async () => {
        fixture = await openReadModelFixture(engineName, `unread_${countersEngine}`);
        counters = await openCounters();
        projector = new UnreadProjector({
          eventStore: fixture.engine.eventStore,
          counters,
          retryBaseDelayMs: 10,
        });
        await projector.start();
        commands = new ConversationCommands({
          eventStore: fixture.engine.eventStore,
          users: { existingUserIds: async (ids) => new Set(ids) },
          clock: () => new Date(),
          newId: randomUUID,
        });
      });
      afterAll(async () => {
        await projector?.stop();
        await counters?.clear();
        await counters?.close();
        await fixture?.close();
      });

      /** Both sides have applied everything written so far. */
      async function settle(): Promise<void> {
        const head = await fixture.engine.eventStore.headPosition();
        expect(await fixture.runner.waitForPosition(head, SETTLE_TIMEOUT_MS)).toBe(true);
        expect(await projector.waitForPosition(head, SETTLE_TIMEOUT_MS)).toBe(true);
        const parked = await fixture.db.query('select 1 from projection_parked');
        expect(parked).toHaveLength(0);
      }

      /** Every (user, conversation) of every workload so far: the Postgres view's counters, or null. */
      async function readModelStates(of = workloads): Promise<Map<string, UnreadState | null>> {
        const states = new Map<string, UnreadState | null>();
        for (const workload of of)
          for (const conversationId of workload.conversations)
            for (const userId of workload.users) {
              const view = await getConversation(fixture.db, userId, conversationId);
              states.set(
                `${userId} in ${conversationId}`,
                view && { lastSeq: view.lastSeq, readSeq: view.readSeq, unreadCount: view.unreadCount },
              );
            }
        return states;
      }

      async function counterStates(of = workloads): Promise<Map<string, UnreadState | null>> {
        const states = new Map<string, UnreadState | null>();
        for (const workload of of)
          for (const conversationId of workload.conversations)
            for (const userId of workload.users)
              states.set(`${userId} in ${conversationId}`, await counters.readState(userId, conversationId));
        return states;
      }

      /** The counters equal the read model everywhere; says how much there was to compare. */
      async function expectAgreement(of = workloads): Promise<{ members: number; unread: number }> {
        await settle();
        const expected = await readModelStates(of);
        const actual = await counterStates(of);
        const drift = [...expected].filter(([key, state]) => !isDeepStrictEqual(actual.get(key), state));
        expect(drift.map(([key, state]) => ({ key, readModel: state, counters: actual.get(key) }))).toEqual(
          [],
        );
        const members = [...expected.values()].filter((state) => state !== null);
        return {
          members: members.length,
          unread: members.reduce((sum, state) => sum + state.unreadCount, 0),
        };
      }

      /** Random workloads, each on fresh users and conversations; `agree` checks agreement after each. */
      async function runWorkload(
        groups: { minLength: number; maxLength: number },
        options: { runs: number; agree: boolean },
      ): Promise<void> {
        await fc.assert(
          fc.asyncProperty(workloadArbitrary(groups), async (ops) => {
            const workload = new ChatWorkload(commands);
            workloads.push(workload);
            await workload.setUp();
            await workload.run(ops);
            // Only this run's conversations: a failure shrinks to the operations that cause it.
            if (options.agree) await expectAgreement([workload]);
          }),
          { numRuns: options.runs },
        );
      }

      it('agrees with the read model after a random workload of sends, reads, joins, leaves and deletes', async () => {
        await runWorkload({ minLength: 15, maxLength: 40 }, { runs: 4, agree: true });
        // The comparison was not vacuous: every kind of operation went through somewhere, and there
        // were members with and without unread messages, and non-members.
        for (const kind of ['send', 'read', 'add', 'remove', 'delete'] as const)
          expect(
            workloads.reduce((sum, workload) => sum + workload.performed[kind], 0),
            kind,
          ).toBeGreaterThan(0);
        const { members, unread } = await expectAgreement();
        expect(members).toBeGreaterThan(0);
        expect(unread).toBeGreaterThan(0);
        expect(members).toBeLessThan(
          workloads.length * workloads[0]!.users.length * workloads[0]!.conversations.length,
        );
      });

      it('changes nothing when every event is delivered again, in any order', async () => {
        const before = await counterStates();
        const events = await readWholeLog(fixture);
        const changes = events.flatMap((event) => unreadChangeOf(event) ?? []);
        const shuffled = fc.sample(fc.shuffledSubarray(changes, { minLength: changes.length }), {
          numRuns: 1,
        })[0]!;
        for (let start = 0; start < shuffled.length; start += 100)
          await counters.apply(shuffled.slice(start, start + 100), 1n);
        expect(await counterStates()).toEqual(before);
        await expectAgreement();
      });

      it('resumes from its checkpoint after a stop, with what was written meanwhile', async () => {
        await projector.stop();
        await runWorkload({ minLength: 5, maxLength: 15 }, { runs: 1, agree: false });
        // Not yet: the projector was stopped while the workload ran.
        const head = await fixture.engine.eventStore.headPosition();
        expect(await counters.checkpoint()).toBeLessThan(head);
        await projector.start();
        await expectAgreement();
      });

      it('rebuilds from the log to the live result, undoing whatever the sink held', async () => {
        await settle();
        const live = await counterStates();
        // Damage the sink: a marker pushed far ahead, as a bug or a stray write would.
        const [workload] = workloads;
        const [conversationId] = workload!.conversations;
        const member = workload!.users.find((userId) => live.get(`${userId} in ${conversationId}`));
        await counters.apply(
          [
            {
              conversationId: conversationId!,
              stream: 'receipts',
              revision: 1_000_000,
              read: { userId: member!, seq: 1_000_000 },
            },
          ],
          1n,
        );
        expect(await counterStates()).not.toEqual(live);

        await projector.rebuild();
        expect(await counterStates()).toEqual(live);
        // And it goes on live afterwards.
        await runWorkload({ minLength: 5, maxLength: 10 }, { runs: 1, agree: true });
      });
    },
  );
}

async function readWholeLog(fixture: ReadModelFixture): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await fixture.engine.eventStore.readAll({ fromPosition: from, maxCount: 1_000 });
    events.push(...page);
    if (page.length < 1_000) return events;
    from = page[page.length - 1]!.position + 1n;
  }
}
