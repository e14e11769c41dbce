import { NotFoundError } from '../../domain/errors.js';
import type { ConversationMutes } from './conversation-mutes.js';

export interface MuteConversationDeps {
  mutes: ConversationMutes;
  /** From the conversations read model. */
  isMember(userId: string, conversationId: string): Promise<boolean>;
}

export interface MuteConversation {
  userId: string;
  conversationId: string;
  muted: boolean;
}

/**
 * MuteConversation / UnmuteConversation, for members only (anyone else learns
 * nothing: not found).
 *
 * A mute is state, not an event. It is one member's private preference about
 * mail: no other member may see it, no read model but the notifier's needs it,
 * and its history explains nothing about the conversation. An event in the
 * conversation's stream would be pushed to every member's socket and kept in the
 * shared history forever; a per-user stream would cost a projection for a flag.
 * A row keyed by (user, conversation) says it all and is erased with the user.
 */
export function handleMuteConversation(deps: MuteConversationDeps) {
  return async (command: MuteConversation): Promise<void> => {
    if (!(await deps.isMember(command.userId, command.conversationId))) {
      throw new NotFoundError('conversation not found');
    }
    if (command.muted) await deps.mutes.mute(command.userId, command.conversationId);
    else await deps.mutes.unmute(command.userId, command.conversationId);
  };
}
