/**
 * The conversation decider: `decide` routes each command to its decision (one file
 * per command), `evolve` and `initialState` come from the state module.
 *
 * Every decision checks in the same order, so the answer to a bad command does not
 * depend on which rule happens to be looked at first:
 * 1. the conversation exists and the actor is a member (`NotFoundError`, no leak);
 * 2. the command's own values (`ValidationError` naming the field);
 * 3. the target — message or member — exists (`NotFoundError`);
 * 4. the actor may do this to it (`ForbiddenError`);
 * 5. it would change nothing (no events).
 * A send with a known clientMsgId is a retry and returns no events before step 2.
 */
import type { Decider } from '../decider.js';
import { addMembers } from './add-members.js';
import type { ConversationCommand } from './conversation.commands.js';
import type { ConversationEvent } from './conversation.events.js';
import { resolveConversationLimits, type ConversationLimits } from './conversation.limits.js';
import { evolve, initialState, type ConversationState } from './conversation.state.js';
import { createConversation } from './create-conversation.js';
import { deleteMessage } from './delete-message.js';
import { editMessage } from './edit-message.js';
import { addReaction, removeReaction } from './reactions.js';
import { removeMember } from './remove-member.js';
import { renameConversation } from './rename-conversation.js';
import { sendMessage } from './send-message.js';

export interface ConversationContext {
  now: Date;
  /** Missing limits take `defaultConversationLimits`. */
  limits?: Partial<ConversationLimits>;
}

export function decide(
  command: ConversationCommand,
  state: ConversationState,
  context: ConversationContext,
): ConversationEvent[] {
  const { now } = context;
  const limits = resolveConversationLimits(context.limits);
  switch (command.type) {
    case 'CreateConversation':
      return createConversation(command, state, now, limits);
    case 'AddMembers':
      return addMembers(command, state, now, limits);
    case 'RemoveMember':
      return removeMember(command, state, now);
    case 'RenameConversation':
      return renameConversation(command, state, now);
    case 'SendMessage':
      return sendMessage(command, state, now, limits);
    case 'EditMessage':
      return editMessage(command, state, now, limits);
    case 'DeleteMessage':
      return deleteMessage(command, state, now);
    case 'AddReaction':
      return addReaction(command, state, now);
    case 'RemoveReaction':
      return removeReaction(command, state, now);
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
}

export { evolve, initialState };

export const conversationDecider: Decider<
  ConversationCommand,
  ConversationState,
  ConversationEvent,
  ConversationContext
> = { decide, evolve, initialState };
