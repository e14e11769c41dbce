/**
 * Properties that must hold for any history, checked with fast-check over
 * generated command sequences rather than hand-picked examples.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { NotFoundError } from '../errors.js';
import { eventRegistry } from '../events.registry.js';
import {
  alice,
  bob,
  carol,
  clientMsgId,
  groupCreated,
  mallory,
  messageId,
  now,
} from '../testing/conversation.fixtures.js';
import type { ConversationCommand } from './conversation.commands.js';
import { decide, evolve, initialState } from './conversation.decider.js';
import type { ConversationEvent, MessageSent } from './conversation.events.js';
import type { ConversationState } from './conversation.state.js';

const visibleText = fc.string({ minLength: 1, maxLength: 40 }).filter((text) => /\S/u.test(text));

/** Decides and, as a command handler would after a successful append, evolves. */
function apply(
  state: ConversationState,
  command: ConversationCommand,
  log: ConversationEvent[],
): ConversationState {
  let next = state;
  for (const event of decide(command, state, { now })) {
    // Every decided event must be storable as its registered schema.
    expect(eventRegistry[event.type].schema.safeParse(event.data).success).toBe(true);
    next = evolve(next, event);
    log.push(event);
  }
  return next;
}

describe('conversation properties', () => {
  it('message seqs are 1..n without gaps, and edits and deletes keep each message its seq', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('send' as const),
        sender: fc.constantFrom(alice, bob, carol),
        body: visibleText,
      }),
      fc.record({ kind: fc.constant('edit' as const), pick: fc.nat(), body: visibleText }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(), byOwner: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const log: ConversationEvent[] = [];
        let state = evolve(initialState(), groupCreated(alice, [bob, carol]));
        const sent: Array<{ id: string; sender: string }> = [];
        for (const current of steps) {
          if (current.kind === 'send') {
            const n = sent.length + 1;
            const command = {
              type: 'SendMessage' as const,
              data: {
                actorId: current.sender,
                messageId: messageId(n),
                clientMsgId: clientMsgId(n),
                body: current.body,
                attachments: [],
                replyTo: null,
              },
            };
            sent.push({ id: messageId(n), sender: current.sender });
            state = apply(state, command, log);
            continue;
          }
          const target = sent[current.pick % Math.max(sent.length, 1)];
          if (!target) continue;
          if (current.kind === 'edit') {
            const isLive = state.exists && state.messages.get(target.id)?.deleted === false;
            if (!isLive) continue; // editing a tombstone is refused; covered by the examples
            const edit = { actorId: target.sender, messageId: target.id, body: current.body };
            state = apply(state, { type: 'EditMessage', data: edit }, log);
          } else {
            const actorId = current.byOwner ? alice : target.sender;
            state = apply(state, { type: 'DeleteMessage', data: { actorId, messageId: target.id } }, log);
          }
        }

        const sentSeqs = log
          .filter((event): event is MessageSent => event.type === 'MessageSent')
          .map((e) => e.data.seq);
        expect(sentSeqs).toEqual(sent.map((_, i) => i + 1));
        const seqById = new Map(sent.map(({ id }, i) => [id, i + 1]));
        for (const event of log) {
          if (event.type === 'MessageEdited' || event.type === 'MessageDeleted') {
            expect(event.data.seq).toBe(seqById.get(event.data.messageId));
          }
        }
        if (!state.exists) throw new Error('the conversation should exist');
        expect(state.lastSeq).toBe(sent.length);
        for (const [id, message] of state.messages) expect(message.seq).toBe(seqById.get(id));
      }),
    );
  });

  describe('a command by a non-member', () => {
    const someMessageId = fc.oneof(fc.constantFrom(messageId(1), messageId(2)), fc.uuid());
    /**
     * Every command but CreateConversation, which is a conflict on any existing
     * conversation: its id comes from the server (for a direct conversation, from the
     * actor's own pair), so that answer tells a non-member nothing.
     */
    const commandBy = (actorId: string): fc.Arbitrary<ConversationCommand> =>
      fc.oneof(
        fc.record({
          type: fc.constant('AddMembers' as const),
          data: fc.record({ actorId: fc.constant(actorId), userIds: fc.array(fc.uuid()) }),
        }),
        fc.record({
          type: fc.constant('RemoveMember' as const),
          data: fc.record({ actorId: fc.constant(actorId), userId: fc.constantFrom(actorId, alice, bob) }),
        }),
        fc.record({
          type: fc.constant('RenameConversation' as const),
          data: fc.record({ actorId: fc.constant(actorId), title: fc.option(fc.string()) }),
        }),
        fc.record({
          type: fc.constant('SendMessage' as const),
          data: fc.record({
            actorId: fc.constant(actorId),
            messageId: fc.uuid(),
            clientMsgId: fc.oneof(fc.constant(clientMsgId(1)), fc.uuid()),
            body: fc.string(),
            attachments: fc.array(fc.string(), { maxLength: 3 }),
            replyTo: fc.option(someMessageId),
          }),
        }),
        fc.record({
          type: fc.constant('EditMessage' as const),
          data: fc.record({ actorId: fc.constant(actorId), messageId: someMessageId, body: fc.string() }),
        }),
        fc.record({
          type: fc.constant('DeleteMessage' as const),
          data: fc.record({ actorId: fc.constant(actorId), messageId: someMessageId }),
        }),
        ...(['AddReaction', 'RemoveReaction'] as const).map((type) =>
          fc.record({
            type: fc.constant(type),
            data: fc.record({ actorId: fc.constant(actorId), messageId: someMessageId, emoji: fc.string() }),
          }),
        ),
      );

    /** A group of alice and bob with two messages, which carol joined and left. */
    function history(): ConversationState {
      const log: ConversationEvent[] = [];
      let state = evolve(initialState(), groupCreated(alice, [bob, carol]));
      for (const n of [1, 2]) {
        const data = {
          actorId: bob,
          messageId: messageId(n),
          clientMsgId: clientMsgId(n),
          body: 'hi',
          attachments: [],
          replyTo: null,
        };
        state = apply(state, { type: 'SendMessage', data }, log);
      }
      state = apply(
        state,
        { type: 'AddReaction', data: { actorId: alice, messageId: messageId(1), emoji: '👍' } },
        log,
      );
      return apply(state, { type: 'RemoveMember', data: { actorId: carol, userId: carol } }, log);
    }

    it('is answered not found and leaves the state unchanged', () => {
      const outsider = fc.constantFrom(mallory, carol);
      fc.assert(
        fc.property(outsider.chain(commandBy), (command) => {
          const state = history();
          const before = structuredClone(state);
          expect(() => decide(command, state, { now })).toThrow(NotFoundError);
          expect(state).toEqual(before);
        }),
      );
    });

    it('is answered not found when the conversation does not exist', () => {
      fc.assert(
        fc.property(fc.constantFrom(alice, mallory).chain(commandBy), (command) => {
          expect(() => decide(command, initialState(), { now })).toThrow(NotFoundError);
        }),
      );
    });
  });
});
