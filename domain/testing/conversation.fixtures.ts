/**
 * Named people, times and event builders for the conversation specs, so a test
 * reads as a story ("alice created a group with bob and carol") rather than ids.
 */
import type { ConversationCreated, MemberRole, MessageSent } from '../conversation/conversation.events.js';
import { conversationDecider } from '../conversation/conversation.decider.js';
import { deciderSpec } from './decider-spec.js';

/** A valid v4 uuid whose last group is `n`, so ids are distinct and easy to tell apart. */
export function uuid(prefix: number, n: number): string {
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const conversationId = uuid(0xc, 1);
export const alice = uuid(0xa, 1);
export const bob = uuid(0xa, 2);
export const carol = uuid(0xa, 3);
export const dave = uuid(0xa, 4);
export const erin = uuid(0xa, 5);
/** Never a member of anything. */
export const mallory = uuid(0xa, 0xbad);

export const messageId = (n: number): string => uuid(0x11, n);
export const clientMsgId = (n: number): string => uuid(0xc1, n);

export const created = new Date('2025-03-01T09:00:00.000Z');
export const now = new Date('2025-03-01T12:00:00.000Z');
export const createdAt = created.toISOString();
export const nowIso = now.toISOString();

export const spec = deciderSpec(conversationDecider, { now });

/** `owner` created a group with `others` as plain members. */
export function groupCreated(
  owner: string,
  others: string[],
  title: string | null = 'Team',
): ConversationCreated {
  return {
    type: 'ConversationCreated',
    data: {
      conversationId,
      kind: 'group',
      title,
      createdBy: owner,
      members: [
        { userId: owner, role: 'owner', joinedAt: createdAt },
        ...others.map((userId) => ({ userId, role: 'member' as const, joinedAt: createdAt })),
      ],
      createdAt,
    },
  };
}

export function directCreated(creator: string, other: string): ConversationCreated {
  return {
    type: 'ConversationCreated',
    data: {
      conversationId,
      kind: 'direct',
      title: null,
      createdBy: creator,
      members: [
        { userId: creator, role: 'owner', joinedAt: createdAt },
        { userId: other, role: 'member', joinedAt: createdAt },
      ],
      createdAt,
    },
  };
}

export function roleChanged(userId: string, role: MemberRole, changedBy: string) {
  return { type: 'MemberRoleChanged' as const, data: { userId, role, changedBy, at: createdAt } };
}

/** `removedBy === userId` is a member leaving. */
export function memberRemoved(userId: string, removedBy: string) {
  return { type: 'MemberRemoved' as const, data: { userId, removedBy, at: createdAt } };
}

/** Message `n` (id `messageId(n)`, key `clientMsgId(n)`) with seq `n` unless told otherwise. */
export function messageSent(
  n: number,
  senderId: string,
  overrides: Partial<MessageSent['data']> = {},
): MessageSent {
  return {
    type: 'MessageSent',
    data: {
      messageId: messageId(n),
      seq: n,
      senderId,
      clientMsgId: clientMsgId(n),
      body: `message ${n}`,
      attachments: [],
      replyTo: null,
      sentAt: createdAt,
      ...overrides,
    },
  };
}

export function messageDeleted(n: number, deletedBy: string) {
  return {
    type: 'MessageDeleted' as const,
    data: { messageId: messageId(n), seq: n, deletedBy, deletedAt: createdAt },
  };
}

export function reactionAdded(n: number, emoji: string, userId: string) {
  return { type: 'ReactionAdded' as const, data: { messageId: messageId(n), emoji, userId, at: createdAt } };
}
