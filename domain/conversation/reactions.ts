/**
 * Reactions: one per (message, emoji, user). Adding one that exists or removing
 * one that does not writes nothing, so clients may repeat PUT and DELETE freely.
 */
import { codePointLength, isStorableText } from '../code-points.js';
import { ValidationError } from '../errors.js';
import type { AddReaction, RemoveReaction } from './conversation.commands.js';
import type { ReactionAdded, ReactionRemoved } from './conversation.events.js';
import { requireLiveMessage, requireMember } from './conversation.guards.js';
import { reactionKey, type ConversationState } from './conversation.state.js';

export const maxEmojiLength = 32;

export function addReaction(
  { data: command }: AddReaction,
  state: ConversationState,
  now: Date,
): ReactionAdded[] {
  const { conversation } = requireMember(state, command.actorId);
  validateEmoji(command.emoji);
  const message = requireLiveMessage(conversation, command.messageId);

  if (message.reactions?.has(reactionKey(command.emoji, command.actorId))) return [];
  const { messageId, emoji, actorId: userId } = command;
  return [{ type: 'ReactionAdded', data: { messageId, emoji, userId, at: now.toISOString() } }];
}

export function removeReaction(
  { data: command }: RemoveReaction,
  state: ConversationState,
  now: Date,
): ReactionRemoved[] {
  const { conversation } = requireMember(state, command.actorId);
  validateEmoji(command.emoji);
  const message = requireLiveMessage(conversation, command.messageId);

  if (!message.reactions?.has(reactionKey(command.emoji, command.actorId))) return [];
  const { messageId, emoji, actorId: userId } = command;
  return [{ type: 'ReactionRemoved', data: { messageId, emoji, userId, at: now.toISOString() } }];
}

/**
 * Any short token without whitespace or control characters: which emoji a client
 * renders is its own business.
 */
function validateEmoji(emoji: string): void {
  const length = codePointLength(emoji);
  if (length === 0 || length > maxEmojiLength || /[\s\p{Cc}]/u.test(emoji) || !isStorableText(emoji)) {
    throw new ValidationError(`emoji must be 1 to ${maxEmojiLength} characters without whitespace`, 'emoji');
  }
}
