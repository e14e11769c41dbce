import { ForbiddenError } from '../errors.js';
import type { EditMessage } from './conversation.commands.js';
import type { MessageEdited } from './conversation.events.js';
import { requireLiveMessage, requireMember } from './conversation.guards.js';
import type { ConversationLimits } from './conversation.limits.js';
import type { ConversationState } from './conversation.state.js';
import { bodyFingerprint, validateMessageBody } from './message-body.js';

/**
 * The author changes a message's body. A deleted message answers `NotFoundError`:
 * its content is gone and only its seq remains. The same body writes nothing.
 */
export function editMessage(
  { data: command }: EditMessage,
  state: ConversationState,
  now: Date,
  limits: ConversationLimits,
): MessageEdited[] {
  const { conversation } = requireMember(state, command.actorId);
  validateMessageBody(command.body, limits.maxBodyLength);
  const message = requireLiveMessage(conversation, command.messageId);
  if (message.senderId !== command.actorId) throw new ForbiddenError('only the author may edit a message');

  if (message.bodyFingerprint === bodyFingerprint(command.body)) return [];
  return [
    {
      type: 'MessageEdited',
      data: {
        messageId: command.messageId,
        seq: message.seq,
        body: command.body,
        editedAt: now.toISOString(),
      },
    },
  ];
}
