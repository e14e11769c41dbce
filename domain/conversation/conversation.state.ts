/**
 * The decision state of one conversation: only what the rules need, kept compact
 * because it is cached per conversation and may cover a million messages (bodies
 * are fingerprints, reactions live only on messages that have some).
 *
 * Ownership: `evolve` updates the collections of the state it is given in place
 * and returns the state to use next. Copying a million-entry map per event would
 * make a replay quadratic. A caller that evolves a draft before its events are
 * stored uses `evolveWithUndo` and rolls the `UndoLog` back if the append fails
 * (the state then is the pre-batch state again, deep-equal and in the same order);
 * a caller using `evolve` drops a state whose events it failed to store.
 * `decide` never modifies a state.
 */
import {
  addValue,
  assignField,
  deleteEntry,
  deleteValue,
  removeField,
  setEntry,
  type UndoLog,
} from '../undo-log.js';
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

/**
 * The entries a state holds (messages and members): what keeping it cached costs,
 * about 250 bytes of memory per message.
 */
export function conversationStateEntries(state: ConversationState): number {
  return state.exists ? 1 + state.members.size + state.messages.size : 1;
}

/** The key of one user's reaction inside `MessageRecord.reactions`; NUL never occurs in either part. */
export function reactionKey(emoji: string, userId: string): string {
  return `${emoji}\u0000${userId}`;
}

/** Folds one stored event into the state (in place, see the ownership note above). */
export function evolve(state: ConversationState, event: ConversationEvent): ConversationState {
  return evolveWithUndo(state, event, undefined);
}

/**
 * `evolve`, recording in `undo` how to take back each in-place change: every one
 * goes through the `undo-log` helpers. ConversationCreated builds a new object and
 * leaves the one it was given untouched, so after a rollback the caller keeps
 * using the state it had before the batch.
 */
export function evolveWithUndo(
  state: ConversationState,
  event: ConversationEvent,
  undo: UndoLog | undefined,
): ConversationState {
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
        deleteEntry(state.members, userId, undo); // a returning member goes to the end of the join order
        setEntry(state.members, userId, { role, joinedAt }, undo);
      }
      return state;
    case 'MemberRemoved':
      deleteEntry(state.members, event.data.userId, undo);
      return state;
    case 'MemberRoleChanged': {
      const member = state.members.get(event.data.userId);
      if (member) assignField(member, 'role', event.data.role, undo);
      return state;
    }
    case 'ConversationRenamed':
      assignField(state, 'title', event.data.title, undo);
      return state;
    case 'MessageSent': {
      const { messageId, seq, senderId, clientMsgId, body } = event.data;
      const record: MessageRecord = { seq, senderId, deleted: false, bodyFingerprint: bodyFingerprint(body) };
      setEntry(state.messages, messageId, record, undo);
      setEntry(state.messageIdByClientMsgId, clientMsgId, messageId, undo);
      assignField(state, 'lastSeq', Math.max(state.lastSeq, seq), undo);
      return state;
    }
    case 'MessageEdited': {
      const message = state.messages.get(event.data.messageId);
      if (message) assignField(message, 'bodyFingerprint', bodyFingerprint(event.data.body), undo);
      return state;
    }
    case 'MessageDeleted': {
      const message = state.messages.get(event.data.messageId);
      if (message) {
        // The tombstone keeps its seq; nothing else about it matters any more.
        assignField(message, 'deleted', true, undo);
        assignField(message, 'bodyFingerprint', 0, undo);
        removeField(message, 'reactions', undo);
      }
      return state;
    }
    case 'ReactionAdded': {
      const message = state.messages.get(event.data.messageId);
      if (message) {
        const reactions = message.reactions ?? new Set<string>();
        if (!message.reactions) assignField(message, 'reactions', reactions, undo);
        addValue(reactions, reactionKey(event.data.emoji, event.data.userId), undo);
      }
      return state;
    }
    case 'ReactionRemoved': {
      const message = state.messages.get(event.data.messageId);
      if (!message?.reactions) return state;
      deleteValue(message.reactions, reactionKey(event.data.emoji, event.data.userId), undo);
      if (message.reactions.size === 0) removeField(message, 'reactions', undo);
      return state;
    }
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
