import { describe, expect, it } from 'vitest';

import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import {
  alice,
  bob,
  carol,
  groupCreated,
  mallory,
  messageDeleted,
  messageId,
  messageSent,
  nowIso,
  roleChanged,
  spec,
} from '../testing/conversation.fixtures.js';
import type { DeleteMessage, EditMessage } from './conversation.commands.js';
import type { MessageEdited } from './conversation.events.js';

const edit = (actorId: string, n: number, body: string): EditMessage => ({
  type: 'EditMessage',
  data: { actorId, messageId: messageId(n), body },
});
const remove = (actorId: string, n: number): DeleteMessage => ({
  type: 'DeleteMessage',
  data: { actorId, messageId: messageId(n) },
});
const edited = (n: number, body: string, seq = n): MessageEdited => ({
  type: 'MessageEdited',
  data: { messageId: messageId(n), seq, body, editedAt: nowIso },
});
const deletedNow = (n: number, deletedBy: string, seq = n) => ({
  type: 'MessageDeleted' as const,
  data: { messageId: messageId(n), seq, deletedBy, deletedAt: nowIso },
});

/** alice owns the group, bob is an admin, carol a member; carol wrote message 1, bob message 2. */
const history = [
  groupCreated(alice, [bob, carol]),
  roleChanged(bob, 'admin', alice),
  messageSent(1, carol),
  messageSent(2, bob),
];

describe('editing a message', () => {
  it('lets the author change the body, keeping the seq', () => {
    spec
      .given(history)
      .when(edit(carol, 1, 'fixed typo'))
      .then([edited(1, 'fixed typo')]);
  });

  it('writes nothing when the body does not change', () => {
    spec
      .given(history)
      .when(edit(carol, 1, 'message 1'))
      .then([]);
  });

  it('compares with the latest edit, not the original', () => {
    const afterEdit = [...history, edited(1, 'second')];
    spec
      .given(afterEdit)
      .when(edit(carol, 1, 'second'))
      .then([]);
    spec
      .given(afterEdit)
      .when(edit(carol, 1, 'message 1'))
      .then([edited(1, 'message 1')]);
  });

  it('refuses anyone but the author, the owner included', () => {
    spec
      .given(history)
      .when(edit(alice, 1, 'mine now'))
      .thenThrows(ForbiddenError);
    spec
      .given(history)
      .when(edit(bob, 1, 'mine now'))
      .thenThrows(ForbiddenError);
  });

  it('answers not found for a deleted message: only its seq remains', () => {
    spec
      .given([...history, messageDeleted(1, carol)])
      .when(edit(carol, 1, 'back'))
      .thenThrows(NotFoundError);
  });

  it('answers not found for a message that is not in the conversation', () => {
    spec
      .given(history)
      .when(edit(carol, 99, 'hello'))
      .thenThrows(NotFoundError);
  });

  it('holds the new body to the rules of a sent one', () => {
    spec
      .given(history)
      .when(edit(carol, 1, '   '))
      .thenThrows(ValidationError, (error) => expect(error.field).toBe('body'));
    spec
      .given(history)
      .when(edit(carol, 1, 'z'.repeat(10_001)))
      .thenThrows(ValidationError, (error) => expect(error.field).toBe('body'));
  });

  it('answers not found to a non-member', () => {
    spec
      .given(history)
      .when(edit(mallory, 1, 'hi'))
      .thenThrows(NotFoundError);
  });
});

describe('deleting a message', () => {
  it('lets the author delete it, keeping its seq as a tombstone', () => {
    spec
      .given(history)
      .when(remove(carol, 1))
      .then([deletedNow(1, carol)]);
  });

  it("lets the owner or an admin delete someone else's message", () => {
    spec
      .given(history)
      .when(remove(alice, 1))
      .then([deletedNow(1, alice)]);
    spec
      .given(history)
      .when(remove(bob, 1))
      .then([deletedNow(1, bob)]);
  });

  it("refuses a plain member deleting someone else's message", () => {
    spec.given(history).when(remove(carol, 2)).thenThrows(ForbiddenError);
  });

  it('writes nothing when the message is already deleted', () => {
    spec
      .given([...history, messageDeleted(1, carol)])
      .when(remove(carol, 1))
      .then([]);
  });

  it('answers not found for a message that is not in the conversation', () => {
    spec.given(history).when(remove(alice, 99)).thenThrows(NotFoundError);
  });

  it('answers not found to a non-member and for a conversation that does not exist', () => {
    spec.given(history).when(remove(mallory, 1)).thenThrows(NotFoundError);
    spec.given([]).when(remove(alice, 1)).thenThrows(NotFoundError);
  });
});
