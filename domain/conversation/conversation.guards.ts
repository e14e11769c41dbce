/**
 * The preconditions most conversation decisions start with. A conversation that
 * does not exist and one the actor is not a member of answer the same
 * `NotFoundError`, so a non-member learns nothing about it (PROTOCOL.md).
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import type {
  ConversationState,
  ExistingConversation,
  MemberRecord,
  MessageRecord,
} from './conversation.state.js';

export function requireMember(
  state: ConversationState,
  actorId: string,
): { conversation: ExistingConversation; actor: MemberRecord } {
  const actor = state.exists ? state.members.get(actorId) : undefined;
  if (!state.exists || !actor) throw new NotFoundError('conversation not found');
  return { conversation: state, actor };
}

/** Membership changes and renaming exist only in groups; a direct conversation is fixed. */
export function requireGroup(conversation: ExistingConversation, action: string): void {
  if (conversation.kind !== 'group') throw new ForbiddenError(`a direct conversation cannot ${action}`);
}

export function requireManager(actor: MemberRecord, action: string): void {
  if (actor.role !== 'owner' && actor.role !== 'admin') {
    throw new ForbiddenError(`only the owner or an admin may ${action}`);
  }
}

export function requireMessage(conversation: ExistingConversation, messageId: string): MessageRecord {
  const message = conversation.messages.get(messageId);
  if (!message) throw new NotFoundError('message not found');
  return message;
}

/** A deleted message is a tombstone: it keeps its seq but cannot be edited or reacted to. */
export function requireLiveMessage(conversation: ExistingConversation, messageId: string): MessageRecord {
  const message = requireMessage(conversation, messageId);
  if (message.deleted) throw new NotFoundError('message not found');
  return message;
}
