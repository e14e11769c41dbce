/**
 * Builders of real domain events for read-model tests, with every id and time
 * chosen by the test, so several conversations can live in one log.
 */
import { randomUUID } from 'node:crypto';
import type {
  ConversationCreated,
  ConversationKind,
  ConversationRenamed,
  MemberRemoved,
  MemberRole,
  MemberRoleChanged,
  MembersAdded,
  MessageDeleted,
  MessageEdited,
  MessageSent,
  ReactionAdded,
  ReactionRemoved,
} from '../../domain/conversation/conversation.events.js';
import type { ReadMarkerMoved } from '../../domain/receipts/receipts.events.js';

export const conversationStream = (conversationId: string) => `conversation-${conversationId}`;

export function conversationCreated(options: {
  conversationId: string;
  owner: string;
  others: string[];
  at: string;
  kind?: ConversationKind;
  title?: string | null;
}): ConversationCreated {
  const { conversationId, owner, others, at } = options;
  return {
    type: 'ConversationCreated',
    data: {
      conversationId,
      kind: options.kind ?? 'group',
      title: options.title === undefined ? 'Team' : options.title,
      createdBy: owner,
      members: [
        { userId: owner, role: 'owner', joinedAt: at },
        ...others.map((userId) => ({ userId, role: 'member' as const, joinedAt: at })),
      ],
      createdAt: at,
    },
  };
}

export function membersAdded(userIds: string[], addedBy: string, at: string): MembersAdded {
  return {
    type: 'MembersAdded',
    data: { members: userIds.map((userId) => ({ userId, role: 'member', joinedAt: at })), addedBy },
  };
}

export function memberRemoved(userId: string, removedBy: string, at: string): MemberRemoved {
  return { type: 'MemberRemoved', data: { userId, removedBy, at } };
}

export function memberRoleChanged(
  userId: string,
  role: MemberRole,
  changedBy: string,
  at: string,
): MemberRoleChanged {
  return { type: 'MemberRoleChanged', data: { userId, role, changedBy, at } };
}

export function conversationRenamed(
  title: string | null,
  renamedBy: string,
  at: string,
): ConversationRenamed {
  return { type: 'ConversationRenamed', data: { title, renamedBy, at } };
}

export function messageSent(options: {
  seq: number;
  senderId: string;
  sentAt: string;
  messageId?: string;
  body?: string;
  attachments?: string[];
  replyTo?: string | null;
}): MessageSent {
  return {
    type: 'MessageSent',
    data: {
      messageId: options.messageId ?? randomUUID(),
      seq: options.seq,
      senderId: options.senderId,
      clientMsgId: randomUUID(),
      body: options.body ?? `message ${options.seq}`,
      attachments: options.attachments ?? [],
      replyTo: options.replyTo ?? null,
      sentAt: options.sentAt,
    },
  };
}

export function messageEdited(message: MessageSent, body: string, editedAt: string): MessageEdited {
  return {
    type: 'MessageEdited',
    data: { messageId: message.data.messageId, seq: message.data.seq, body, editedAt },
  };
}

export function messageDeleted(message: MessageSent, deletedBy: string, deletedAt: string): MessageDeleted {
  return {
    type: 'MessageDeleted',
    data: { messageId: message.data.messageId, seq: message.data.seq, deletedBy, deletedAt },
  };
}

export function reactionAdded(
  message: MessageSent,
  emoji: string,
  userId: string,
  at: string,
): ReactionAdded {
  return { type: 'ReactionAdded', data: { messageId: message.data.messageId, emoji, userId, at } };
}

export function reactionRemoved(
  message: MessageSent,
  emoji: string,
  userId: string,
  at: string,
): ReactionRemoved {
  return { type: 'ReactionRemoved', data: { messageId: message.data.messageId, emoji, userId, at } };
}

export function readMarkerMoved(
  conversationId: string,
  userId: string,
  seq: number,
  at: string,
): ReadMarkerMoved {
  return { type: 'ReadMarkerMoved', data: { conversationId, userId, seq, at } };
}
