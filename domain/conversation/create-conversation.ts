import { ConflictError, ValidationError } from '../errors.js';
import type { CreateConversation } from './conversation.commands.js';
import type { ConversationCreated, Member } from './conversation.events.js';
import type { ConversationLimits } from './conversation.limits.js';
import type { ConversationState } from './conversation.state.js';
import { normalizeTitle } from './conversation-title.js';

/**
 * Starts a conversation with the actor as owner. A direct conversation has exactly
 * one other member and no title; a group has 1 to `maxGroupMembers` members, the
 * creator included. Duplicate ids and the actor's own id in `memberIds` are ignored.
 *
 * Creating twice is a conflict; the command handler, which derives a direct
 * conversation's id from the pair, answers a repeated direct creation with the
 * existing conversation.
 */
export function createConversation(
  { data: command }: CreateConversation,
  state: ConversationState,
  now: Date,
  limits: ConversationLimits,
): ConversationCreated[] {
  if (state.exists) throw new ConflictError('conversation already exists');

  const others = [...new Set(command.memberIds)].filter((userId) => userId !== command.actorId);
  let title: string | null;
  if (command.kind === 'direct') {
    if (others.length !== 1) {
      throw new ValidationError('a direct conversation needs exactly one other member', 'memberIds');
    }
    if (command.title !== null && command.title !== undefined) {
      throw new ValidationError('a direct conversation has no title', 'title');
    }
    title = null;
  } else {
    if (others.length + 1 > limits.maxGroupMembers) {
      throw new ValidationError(`a group has at most ${limits.maxGroupMembers} members`, 'memberIds');
    }
    title = normalizeTitle(command.title);
  }

  const joinedAt = now.toISOString();
  const members: Member[] = [
    { userId: command.actorId, role: 'owner', joinedAt },
    ...others.map((userId): Member => ({ userId, role: 'member', joinedAt })),
  ];
  return [
    {
      type: 'ConversationCreated',
      data: {
        conversationId: command.conversationId,
        kind: command.kind,
        title,
        createdBy: command.actorId,
        members,
        createdAt: joinedAt,
      },
    },
  ];
}
