/**
 * The decision state of one conversation: only what the rules need, kept compact
 * because it is cached per conversation and may cover a million messages (bodies
 * are fingerprints, reactions live only on messages that have some).
 *
 * Ownership: `evolve` updates the collections of the state it is given in place
 * and returns the state to use next. Copying a million-entry map per event would
 * make a replay quadratic. A caller hands a state to `evolve` only once its events
 * are stored, and drops a state it evolved with events it then failed to store.
 * `decide` never modifies a state.
 */
import type { ConversationEvent, ConversationKind, MemberRole } from './conversation.events.js';
import { bodyFingerprint } from './message-body.js';

export interface MemberRecord {
  role: MemberRole;
  joinedAt: string;
}

export interface MessageRecord {
  readonly seq: number;
  readonly senderId: string;
  deleted: boolean;
  /** See `bodyFingerprint`; 0 once deleted. */
  bodyFingerprint: number;
  /** `reactionKey(emoji, userId)` of each reaction; absent while there are none. */
  reactions?: Set<string>;
}

export interface NoConversation {
  readonly exists: false;
}

export interface ExistingConversation {
  readonly exists: true;
  readonly kind: ConversationKind;
  title: string | null;
  readonly createdAt: string;
  /** In the order members joined: the first entries are the longest-standing. */
  readonly members: Map<string, MemberRecord>;
  /** The seq of the newest message; 0 before the first. */
  lastSeq: number;
  readonly messages: Map<string, MessageRecord>;
  /** clientMsgId → messageId, kept for as long as the conversation exists. */
  readonly messageIdByClientMsgId: Map<string, string>;
}

export type ConversationState = NoConversation | ExistingConversation;

export function initialState(): ConversationState {
  return { exists: false };
}

/** The key of one user's reaction inside `MessageRecord.reactions`; NUL never occurs in either part. */
export function reactionKey(emoji: string, userId: string): string {
  return `${emoji}\u0000${userId}`;
}

export function evolve(state: ConversationState, event: ConversationEvent): ConversationState {
  if (event.type === 'ConversationCreated') {
    const { kind, title, createdAt, members } = event.data;
    return {
      exists: true,
      kind,
      title,
      createdAt,
      members: new Map(members.map(({ userId, role, joinedAt }) => [userId, { role, joinedAt }])),
      lastSeq: 0,
      messages: new Map(),
      messageIdByClientMsgId: new Map(),
    };
  }
  // A stream always starts with ConversationCreated; anything before it is ignored
  // rather than thrown, so one bad event cannot stop every reader of the stream.
  if (!state.exists) return state;

  switch (event.type) {
    case 'MembersAdded':
      for (const { userId, role, joinedAt } of event.data.members) {
        state.members.delete(userId); // a returning member goes to the end of the join order
        state.members.set(userId, { role, joinedAt });
      }
      return state;
    case 'MemberRemoved':
      state.members.delete(event.data.userId);
      return state;
    case 'MemberRoleChanged': {
      const member = state.members.get(event.data.userId);
      if (member) member.role = event.data.role;
      return state;
    }
    case 'ConversationRenamed':
      state.title = event.data.title;
      return state;
    case 'MessageSent': {
      const { messageId, seq, senderId, clientMsgId, body } = event.data;
      state.messages.set(messageId, {
        seq,
        senderId,
        deleted: false,
        bodyFingerprint: bodyFingerprint(body),
      });
      state.messageIdByClientMsgId.set(clientMsgId, messageId);
      state.lastSeq = Math.max(state.lastSeq, seq);
      return state;
    }
    case 'MessageEdited': {
      const message = state.messages.get(event.data.messageId);
      if (message) message.bodyFingerprint = bodyFingerprint(event.data.body);
      return state;
    }
    case 'MessageDeleted': {
      const message = state.messages.get(event.data.messageId);
      if (message) {
        // The tombstone keeps its seq; nothing else about it matters any more.
        message.deleted = true;
        message.bodyFingerprint = 0;
        delete message.reactions;
      }
      return state;
    }
    case 'ReactionAdded': {
      const message = state.messages.get(event.data.messageId);
      if (message) {
        message.reactions ??= new Set();
        message.reactions.add(reactionKey(event.data.emoji, event.data.userId));
      }
      return state;
    }
    case 'ReactionRemoved': {
      const message = state.messages.get(event.data.messageId);
      message?.reactions?.delete(reactionKey(event.data.emoji, event.data.userId));
      if (message?.reactions?.size === 0) delete message.reactions;
      return state;
    }
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
