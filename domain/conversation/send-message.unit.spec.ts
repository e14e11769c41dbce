import { describe, expect, it } from 'vitest';

import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import {
  alice,
  bob,
  carol,
  clientMsgId,
  groupCreated,
  mallory,
  memberRemoved,
  messageDeleted,
  messageId,
  messageSent,
  now,
  nowIso,
  spec,
} from '../testing/conversation.fixtures.js';
import type { SendMessage } from './conversation.commands.js';
import { evolve, initialState } from './conversation.state.js';
import { findSentMessage } from './send-message.js';

/** Message `n` sent by `actorId`, with the same ids as the fixtures' `messageSent(n)`. */
const send = (n: number, actorId: string, overrides: Partial<SendMessage['data']> = {}): SendMessage => ({
  type: 'SendMessage',
  data: {
    actorId,
    messageId: messageId(n),
    clientMsgId: clientMsgId(n),
    body: `message ${n}`,
    attachments: [],
    replyTo: null,
    ...overrides,
  },
});
const sentNow = (n: number, senderId: string, overrides: Parameters<typeof messageSent>[2] = {}) =>
  messageSent(n, senderId, { sentAt: nowIso, ...overrides });

const group = [groupCreated(alice, [bob])];

describe('sending a message', () => {
  it('gives the first message seq 1', () => {
    spec
      .given(group)
      .when(send(1, alice))
      .then([sentNow(1, alice)]);
  });

  it('gives each message the seq after the last one, deleted messages included', () => {
    spec
      .given([...group, messageSent(1, alice), messageSent(2, bob), messageDeleted(2, bob)])
      .when(send(3, bob))
      .then([sentNow(3, bob)]);
  });

  describe('body', () => {
    it('is kept exactly as sent', () => {
      spec
        .given(group)
        .when(send(1, alice, { body: '  indented\n' }))
        .then([sentNow(1, alice, { body: '  indented\n' })]);
    });

    it('may hold 10,000 characters counted as code points', () => {
      const body = '👋'.repeat(10_000);
      spec
        .given(group)
        .when(send(1, alice, { body }))
        .then([sentNow(1, alice, { body })]);
    });

    it('refuses more than 10,000 characters', () => {
      spec
        .given(group)
        .when(send(1, alice, { body: 'a'.repeat(10_001) }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('body'));
    });

    it('follows a configured maximum length', () => {
      const context = { now, limits: { maxBodyLength: 5 } };
      spec
        .given(group)
        .when(send(1, alice, { body: 'hello' }), context)
        .then([sentNow(1, alice, { body: 'hello' })]);
      spec
        .given(group)
        .when(send(1, alice, { body: 'hello!' }), context)
        .thenThrows(ValidationError);
    });

    it.each([
      ['empty', ''],
      ['spaces and line breaks', ' \n\t '],
      ['a no-break space', '\u00a0'],
    ])('refuses a body that is %s', (_, body) => {
      spec
        .given(group)
        .when(send(1, alice, { body }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('body'));
    });
  });

  describe('attachments', () => {
    const keys = (count: number) => Array.from({ length: count }, (_, i) => `uploads/${alice}/${i}`);

    it('may carry up to 10 keys', () => {
      spec
        .given(group)
        .when(send(1, alice, { attachments: keys(10) }))
        .then([sentNow(1, alice, { attachments: keys(10) })]);
    });

    it.each([
      ['more than 10 keys', keys(11)],
      ['the same key twice', ['uploads/a', 'uploads/a']],
      ['an empty key', ['']],
    ])('refuses %s', (_, attachments) => {
      spec
        .given(group)
        .when(send(1, alice, { attachments }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('attachments'));
    });
  });

  describe('replies', () => {
    it('may answer a message of the conversation, even a deleted one', () => {
      const history = [...group, messageSent(1, bob), messageDeleted(1, bob)];
      spec
        .given(history)
        .when(send(2, alice, { replyTo: messageId(1) }))
        .then([sentNow(2, alice, { replyTo: messageId(1) })]);
    });

    it('refuses to answer a message that is not in the conversation', () => {
      spec
        .given(group)
        .when(send(1, alice, { replyTo: messageId(99) }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('replyTo'));
    });
  });

  describe('retries', () => {
    const history = [...group, messageSent(1, alice), messageSent(2, bob)];

    it('a retry with the same clientMsgId writes nothing', () => {
      spec
        .given(history)
        .when(send(3, alice, { clientMsgId: clientMsgId(1) }))
        .then([]);
    });

    it('a retry is recognised even after the original was deleted', () => {
      spec
        .given([...history, messageDeleted(1, alice)])
        .when(send(3, alice, { clientMsgId: clientMsgId(1) }))
        .then([]);
    });

    it('a retry with the same clientMsgId returns the original seq', () => {
      const state = history.reduce(evolve, initialState());
      expect(findSentMessage(state, clientMsgId(2))).toEqual({ messageId: messageId(2), seq: 2 });
      expect(findSentMessage(state, clientMsgId(7))).toBeUndefined();
      expect(findSentMessage(initialState(), clientMsgId(1))).toBeUndefined();
    });

    it("refuses another sender's clientMsgId", () => {
      spec
        .given(history)
        .when(send(3, bob, { clientMsgId: clientMsgId(1) }))
        .thenThrows(ConflictError);
    });
  });

  it('refuses a messageId that is already used', () => {
    spec
      .given([...group, messageSent(1, alice)])
      .when(send(2, bob, { messageId: messageId(1) }))
      .thenThrows(ConflictError);
  });

  it('answers not found to a non-member, a former member and for a conversation that does not exist', () => {
    spec.given(group).when(send(1, mallory)).thenThrows(NotFoundError);
    spec
      .given([groupCreated(alice, [bob, carol]), memberRemoved(carol, carol)])
      .when(send(1, carol))
      .thenThrows(NotFoundError);
    spec.given([]).when(send(1, alice)).thenThrows(NotFoundError);
  });
});
