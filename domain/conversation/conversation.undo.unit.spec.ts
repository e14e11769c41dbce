/**
 * A batch is folded before it is appended; when the append fails, rolling back the
 * undo log must leave exactly the state the batch started from (values, Map and
 * Set order, absent fields), whatever the history and the batch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  alice,
  bob,
  carol,
  clientMsgId,
  dave,
  erin,
  groupCreated,
  memberRemoved,
  messageDeleted,
  messageId,
  messageSent,
  nowIso,
  reactionAdded,
  roleChanged,
} from '../testing/conversation.fixtures.js';
import { orderedSnapshot, type Snapshot } from '../testing/ordered-snapshot.js';
import { UndoLog } from '../undo-log.js';
import type { ConversationEvent } from './conversation.events.js';
import { evolve, evolveWithUndo, initialState, type ConversationState } from './conversation.state.js';

function fold(events: readonly ConversationEvent[], state = initialState()): ConversationState {
  return events.reduce<ConversationState>((current, event) => evolve(current, event), state);
}

/** Folds `batch` on `state` with an undo log, then rolls it back; returns a snapshot of what the batch produced. */
function foldAndRollBack(state: ConversationState, batch: readonly ConversationEvent[]): Snapshot {
  const undo = new UndoLog();
  let draft = state;
  for (const event of batch) draft = evolveWithUndo(draft, event, undo);
  const produced = orderedSnapshot(draft);
  undo.rollback();
  return produced;
}

const reactionRemoved = (n: number, emoji: string, userId: string): ConversationEvent => ({
  type: 'ReactionRemoved',
  data: { messageId: messageId(n), emoji, userId, at: nowIso },
});

/** A small pool of ids, so that events collide: returning members, re-deleted messages, repeated reactions. */
const user = fc.constantFrom(alice, bob, carol, dave);
const role = fc.constantFrom('owner' as const, 'admin' as const, 'member' as const);
const message = fc.integer({ min: 1, max: 4 });
const emoji = fc.constantFrom('👍', '🎉');
const text = fc.string({ maxLength: 6 });

const anyEvent: fc.Arbitrary<ConversationEvent> = fc.oneof(
  fc
    .record({ owner: user, others: fc.uniqueArray(user, { maxLength: 3 }), title: fc.option(text) })
    .map(({ owner, others, title }) =>
      groupCreated(
        owner,
        others.filter((other) => other !== owner),
        title,
      ),
    ),
  fc
    .uniqueArray(fc.record({ userId: user, role }), { minLength: 1, maxLength: 3, selector: (m) => m.userId })
    .map((members): ConversationEvent => ({
      type: 'MembersAdded',
      data: { members: members.map((member) => ({ ...member, joinedAt: nowIso })), addedBy: alice },
    })),
  user.map((userId) => memberRemoved(userId, userId)),
  fc.tuple(user, role).map(([userId, newRole]) => roleChanged(userId, newRole, alice)),
  fc.option(text).map((title): ConversationEvent => ({
    type: 'ConversationRenamed',
    data: { title, renamedBy: alice, at: nowIso },
  })),
  fc
    .record({
      n: message,
      sender: user,
      key: fc.integer({ min: 1, max: 3 }),
      seq: fc.integer({ min: 1, max: 9 }),
    })
    .map(({ n, sender, key, seq }) => messageSent(n, sender, { clientMsgId: clientMsgId(key), seq })),
  fc.tuple(message, text).map(([n, body]): ConversationEvent => ({
    type: 'MessageEdited',
    data: { messageId: messageId(n), seq: n, body, editedAt: nowIso },
  })),
  message.map((n) => messageDeleted(n, alice)),
  fc.tuple(message, emoji, user).map(([n, e, userId]) => reactionAdded(n, e, userId)),
  fc.tuple(message, emoji, user).map(([n, e, userId]) => reactionRemoved(n, e, userId)),
);

/** Mostly histories of an existing conversation; sometimes none, so the batch may create it. */
const history = fc
  .tuple(fc.boolean(), fc.array(anyEvent, { maxLength: 30 }))
  .map(([created, events]) => (created ? [groupCreated(alice, [bob, carol]), ...events] : events));
const batch = fc.array(anyEvent, { minLength: 1, maxLength: 15 });

describe('conversation state undo', () => {
  it('rolling back a batch restores the state it started from, for any history and batch', () => {
    fc.assert(
      fc.property(history, batch, (past, next) => {
        const state = fold(past);
        const before = orderedSnapshot(state);
        foldAndRollBack(state, next);
        expect(orderedSnapshot(state)).toStrictEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it('folding with an undo log gives the same state as folding without', () => {
    fc.assert(
      fc.property(history, batch, (past, next) => {
        const produced = foldAndRollBack(fold(past), next);
        expect(produced).toStrictEqual(orderedSnapshot(fold([...past, ...next])));
      }),
      { numRuns: 300 },
    );
  });

  describe('each event type, on a conversation with admins, messages and reactions', () => {
    const rich = (): ConversationEvent[] => [
      groupCreated(alice, [bob, carol, dave]),
      roleChanged(bob, 'admin', alice),
      messageSent(1, alice),
      messageSent(2, bob),
      reactionAdded(1, '👍', bob),
      reactionAdded(1, '🎉', carol),
      reactionAdded(1, '👍', carol),
      reactionAdded(2, '🎉', dave),
    ];
    /** Typed by event type, so a new event type does not compile until it has a case here. */
    const cases = {
      ConversationCreated: [groupCreated(erin, [dave], 'Other')],
      MembersAdded: [
        {
          type: 'MembersAdded',
          data: {
            members: [
              { userId: erin, role: 'member', joinedAt: nowIso },
              { userId: bob, role: 'member', joinedAt: nowIso }, // already in: moves to the end
            ],
            addedBy: alice,
          },
        },
      ],
      MemberRemoved: [memberRemoved(bob, bob), memberRemoved(dave, alice)],
      MemberRoleChanged: [roleChanged(carol, 'admin', alice)],
      ConversationRenamed: [
        { type: 'ConversationRenamed', data: { title: null, renamedBy: alice, at: nowIso } },
      ],
      MessageSent: [messageSent(3, carol, { clientMsgId: clientMsgId(7) })],
      MessageEdited: [
        { type: 'MessageEdited', data: { messageId: messageId(2), seq: 2, body: 'x', editedAt: nowIso } },
      ],
      MessageDeleted: [messageDeleted(1, alice)],
      ReactionAdded: [reactionAdded(3, '👍', alice), reactionAdded(1, '🎉', alice)],
      ReactionRemoved: [reactionRemoved(1, '🎉', carol), reactionRemoved(2, '🎉', dave)],
    } satisfies { [Type in ConversationEvent['type']]: ConversationEvent[] };

    const table = Object.entries(cases).flatMap(([type, events]) =>
      events.map((event, index) => ({ name: `${type} #${index + 1}`, event })),
    );

    it.each(table)('$name changes the state and is taken back', ({ event }) => {
      const state = fold(rich().concat(event.type === 'ReactionAdded' ? [messageSent(3, carol)] : []));
      const before = orderedSnapshot(state);
      const produced = foldAndRollBack(state, [event]);
      expect(produced).not.toStrictEqual(before); // the case exercises a real change
      expect(orderedSnapshot(state)).toStrictEqual(before);
    });

    it('a whole batch of them, in any order, is taken back', () => {
      fc.assert(
        fc.property(fc.shuffledSubarray(table, { minLength: 1 }), (picked) => {
          const state = fold(rich());
          const before = orderedSnapshot(state);
          foldAndRollBack(
            state,
            picked.map(({ event }) => event),
          );
          expect(orderedSnapshot(state)).toStrictEqual(before);
        }),
      );
    });
  });
});
