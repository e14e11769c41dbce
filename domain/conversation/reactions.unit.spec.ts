import { describe, expect, it } from 'vitest';

import { NotFoundError, ValidationError } from '../errors.js';
import {
  alice,
  bob,
  groupCreated,
  mallory,
  messageDeleted,
  messageId,
  messageSent,
  nowIso,
  reactionAdded,
  spec,
} from '../testing/conversation.fixtures.js';
import type { AddReaction, RemoveReaction } from './conversation.commands.js';

const react = (actorId: string, emoji: string, n = 1): AddReaction => ({
  type: 'AddReaction',
  data: { actorId, messageId: messageId(n), emoji },
});
const unreact = (actorId: string, emoji: string, n = 1): RemoveReaction => ({
  type: 'RemoveReaction',
  data: { actorId, messageId: messageId(n), emoji },
});
const added = (userId: string, emoji: string) => ({
  type: 'ReactionAdded' as const,
  data: { messageId: messageId(1), emoji, userId, at: nowIso },
});
const removed = (userId: string, emoji: string) => ({
  type: 'ReactionRemoved' as const,
  data: { messageId: messageId(1), emoji, userId, at: nowIso },
});

const history = [groupCreated(alice, [bob]), messageSent(1, alice)];

describe('reactions', () => {
  describe('adding', () => {
    it('records who reacted with which emoji', () => {
      spec
        .given(history)
        .when(react(bob, '👍'))
        .then([added(bob, '👍')]);
    });

    it('counts each user and each emoji separately', () => {
      const withBobs = [...history, reactionAdded(1, '👍', bob)];
      spec
        .given(withBobs)
        .when(react(alice, '👍'))
        .then([added(alice, '👍')]);
      spec
        .given(withBobs)
        .when(react(bob, '🎉'))
        .then([added(bob, '🎉')]);
    });

    it('writes nothing when the reaction is already there', () => {
      spec
        .given([...history, reactionAdded(1, '👍', bob)])
        .when(react(bob, '👍'))
        .then([]);
    });

    it('accepts an emoji of several code points, up to 32', () => {
      const family = '👩‍👩‍👧‍👦';
      spec
        .given(history)
        .when(react(bob, family))
        .then([added(bob, family)]);
      spec
        .given(history)
        .when(react(bob, '😀'.repeat(32)))
        .then([added(bob, '😀'.repeat(32))]);
    });

    it.each([
      ['empty', ''],
      ['longer than 32 characters', '😀'.repeat(33)],
      ['containing a space', '👍 '],
      ['containing a control character', '👍\u0000'],
    ])('refuses an emoji %s', (_, emoji) => {
      spec
        .given(history)
        .when(react(bob, emoji))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('emoji'));
    });

    it('answers not found for a deleted message or one that is not in the conversation', () => {
      spec
        .given([...history, messageDeleted(1, alice)])
        .when(react(bob, '👍'))
        .thenThrows(NotFoundError);
      spec
        .given(history)
        .when(react(bob, '👍', 99))
        .thenThrows(NotFoundError);
    });
  });

  describe('removing', () => {
    it("removes the actor's own reaction", () => {
      spec
        .given([...history, reactionAdded(1, '👍', bob)])
        .when(unreact(bob, '👍'))
        .then([removed(bob, '👍')]);
    });

    it('writes nothing when the actor has no such reaction, even if someone else has', () => {
      spec
        .given([...history, reactionAdded(1, '👍', alice)])
        .when(unreact(bob, '👍'))
        .then([]);
    });

    it('lets a removed reaction be added again', () => {
      spec
        .given([...history, reactionAdded(1, '👍', bob), removed(bob, '👍')])
        .when(react(bob, '👍'))
        .then([added(bob, '👍')]);
    });

    it('answers not found for a deleted message', () => {
      spec
        .given([...history, reactionAdded(1, '👍', bob), messageDeleted(1, alice)])
        .when(unreact(bob, '👍'))
        .thenThrows(NotFoundError);
    });

    it('refuses an invalid emoji', () => {
      spec
        .given(history)
        .when(unreact(bob, ' '))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('emoji'));
    });
  });

  it('answers not found to a non-member', () => {
    spec.given(history).when(react(mallory, '👍')).thenThrows(NotFoundError);
    spec.given(history).when(unreact(mallory, '👍')).thenThrows(NotFoundError);
  });
});
