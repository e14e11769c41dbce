import { ForbiddenError } from '../errors.js';
import type { DeleteMessage } from './conversation.commands.js';
import type { MessageDeleted } from './conversation.events.js';
import { requireMember, requireMessage } from './conversation.guards.js';
import type { ConversationState } from './conversation.state.js';

/**
 * The author, the owner or an admin deletes a message. It stays as a tombstone
 * with its seq, so seqs stay gap-free; deleting it again writes nothing.
 */
export function deleteMessage(
  { data: command }: DeleteMessage,
  state: ConversationState,
  now: Date,
): MessageDeleted[] {
  const { conversation, actor } = requireMember(state, command.actorId);
  const message = requireMessage(conversation, command.messageId);
  const isModerator = actor.role === 'owner' || actor.role === 'admin';
  if (message.senderId !== command.actorId && !isModerator) {
    throw new ForbiddenError('only the author, the owner or an admin may delete a message');
  }

  if (message.deleted) return [];
  return [
    {
      type: 'MessageDeleted',
      data: {
        messageId: command.messageId,
        seq: message.seq,
        deletedBy: command.actorId,
        deletedAt: now.toISOString(),
      },
    },
  ];
}
