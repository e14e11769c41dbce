import { ConflictError, ValidationError } from '../errors.js';
import type { SendMessage } from './conversation.commands.js';
import type { MessageSent } from './conversation.events.js';
import { requireMember } from './conversation.guards.js';
import type { ConversationLimits } from './conversation.limits.js';
import type { ConversationState } from './conversation.state.js';
import { validateMessageBody } from './message-body.js';

/**
 * A member sends a message; it takes the next seq, so seqs are gap-free. A retry
 * with a clientMsgId already used in this conversation writes nothing: the command
 * handler then answers with `findSentMessage`, for as long as the conversation exists.
 */
export function sendMessage(
  { data: command }: SendMessage,
  state: ConversationState,
  now: Date,
  limits: ConversationLimits,
): MessageSent[] {
  const { conversation } = requireMember(state, command.actorId);

  const original = conversation.messageIdByClientMsgId.get(command.clientMsgId);
  if (original !== undefined) {
    // Another sender's key is not this sender's retry; answering with their
    // message would tell the client its own message was stored.
    if (conversation.messages.get(original)?.senderId !== command.actorId) {
      throw new ConflictError('clientMsgId was already used by another sender');
    }
    return [];
  }

  validateMessageBody(command.body, limits.maxBodyLength);
  validateAttachments(command.attachments, limits.maxAttachments);
  // A reply to a deleted message is allowed: the tombstone keeps its place.
  if (command.replyTo !== null && !conversation.messages.has(command.replyTo)) {
    throw new ValidationError('replyTo must be a message of this conversation', 'replyTo');
  }
  if (conversation.messages.has(command.messageId)) throw new ConflictError('messageId is already used');

  return [
    {
      type: 'MessageSent',
      data: {
        messageId: command.messageId,
        seq: conversation.lastSeq + 1,
        senderId: command.actorId,
        clientMsgId: command.clientMsgId,
        body: command.body,
        attachments: [...command.attachments],
        replyTo: command.replyTo,
        sentAt: now.toISOString(),
      },
    },
  ];
}

/** The message an earlier send with this clientMsgId stored, if any (deleted or not). */
export function findSentMessage(
  state: ConversationState,
  clientMsgId: string,
): { messageId: string; seq: number } | undefined {
  if (!state.exists) return undefined;
  const messageId = state.messageIdByClientMsgId.get(clientMsgId);
  const message = messageId === undefined ? undefined : state.messages.get(messageId);
  return messageId === undefined || !message ? undefined : { messageId, seq: message.seq };
}

function validateAttachments(keys: readonly string[], max: number): void {
  if (keys.length > max) throw new ValidationError(`at most ${max} attachments`, 'attachments');
  if (keys.some((key) => key === '')) {
    throw new ValidationError('attachment keys must not be empty', 'attachments');
  }
  if (new Set(keys).size !== keys.length) {
    throw new ValidationError('attachment keys must be distinct', 'attachments');
  }
}
