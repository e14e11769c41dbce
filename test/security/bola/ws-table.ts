import { randomUUID } from 'node:crypto';
import type { Actors, Fixture, Role } from './fixture.js';

/** What a request frame must be answered with. */
export type WsOutcome =
  | { answer: 'ack' }
  | { answer: 'pong' }
  | { answer: 'error'; code: string }
  /** `sync`: a `sync.done` that lists the conversation (member) or leaves it out (anyone else). */
  | { answer: 'sync.done'; includesConversation: boolean }
  /** No token: the socket is closed with this code before any request is served. */
  | { answer: 'close'; code: number };

export interface WsRow {
  type: string;
  data(fixture: Fixture, role: Role, actors: Actors): unknown;
  expected: Record<Role, WsOutcome>;
}

const ack: WsOutcome = { answer: 'ack' };
const notFound: WsOutcome = { answer: 'error', code: 'not_found' };
const unauthorized: WsOutcome = { answer: 'close', code: 4401 };
/** As over REST: a conversation the caller is not in is not found. */
const membersOnly = (member: WsOutcome = ack): Record<Role, WsOutcome> => ({
  member,
  nonMember: notFound,
  removed: notFound,
  anonymous: unauthorized,
});

/** Every client → server type of PROTOCOL.md; the spec fails if the server knows one more. */
export const wsTable: readonly WsRow[] = [
  {
    type: 'message.send',
    data: (fixture) => ({ conversationId: fixture.conversationId, clientMsgId: randomUUID(), body: 'hi' }),
    expected: membersOnly(),
  },
  {
    type: 'message.edit',
    data: (fixture, role) => ({
      conversationId: fixture.conversationId,
      messageId: fixture.messageOf[role],
      body: 'rewritten',
    }),
    expected: membersOnly(),
  },
  {
    type: 'message.delete',
    data: (fixture, role) => ({ conversationId: fixture.conversationId, messageId: fixture.messageOf[role] }),
    expected: membersOnly(),
  },
  {
    type: 'message.read',
    data: (fixture) => ({ conversationId: fixture.conversationId, seq: 1 }),
    expected: membersOnly(),
  },
  {
    type: 'typing.start',
    data: (fixture) => ({ conversationId: fixture.conversationId }),
    expected: membersOnly(),
  },
  {
    type: 'typing.stop',
    data: (fixture) => ({ conversationId: fixture.conversationId }),
    expected: membersOnly(),
  },
  {
    // Presence is shared only between users who share a conversation; users themselves are public, so 403.
    type: 'presence.subscribe',
    data: (_fixture, _role, actors) => ({ userIds: [actors.owner.id] }),
    expected: {
      member: ack,
      nonMember: { answer: 'error', code: 'forbidden' },
      removed: { answer: 'error', code: 'forbidden' },
      anonymous: unauthorized,
    },
  },
  {
    type: 'sync',
    data: (fixture) => ({ cursors: { [fixture.conversationId]: -1 } }),
    expected: {
      member: { answer: 'sync.done', includesConversation: true },
      nonMember: { answer: 'sync.done', includesConversation: false },
      removed: { answer: 'sync.done', includesConversation: false },
      anonymous: unauthorized,
    },
  },
  {
    type: 'ping',
    data: () => ({}),
    expected: {
      member: { answer: 'pong' },
      nonMember: { answer: 'pong' },
      removed: { answer: 'pong' },
      anonymous: unauthorized,
    },
  },
];
