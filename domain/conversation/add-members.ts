import { ValidationError } from '../errors.js';
import type { AddMembers } from './conversation.commands.js';
import type { MembersAdded } from './conversation.events.js';
import { requireGroup, requireManager, requireMember } from './conversation.guards.js';
import type { ConversationLimits } from './conversation.limits.js';
import type { ConversationState } from './conversation.state.js';

/**
 * An owner or admin adds users to a group. Users who are already members are
 * skipped, so a repeated request writes nothing.
 */
export function addMembers(
  { data: command }: AddMembers,
  state: ConversationState,
  now: Date,
  limits: ConversationLimits,
): MembersAdded[] {
  const { conversation, actor } = requireMember(state, command.actorId);
  if (command.userIds.length === 0) throw new ValidationError('userIds must not be empty', 'userIds');
  requireGroup(conversation, 'gain members');
  requireManager(actor, 'add members');

  const newcomers = [...new Set(command.userIds)].filter((userId) => !conversation.members.has(userId));
  if (newcomers.length === 0) return [];
  if (conversation.members.size + newcomers.length > limits.maxGroupMembers) {
    throw new ValidationError(`a group has at most ${limits.maxGroupMembers} members`, 'userIds');
  }

  const joinedAt = now.toISOString();
  return [
    {
      type: 'MembersAdded',
      data: {
        members: newcomers.map((userId) => ({ userId, role: 'member' as const, joinedAt })),
        addedBy: command.actorId,
      },
    },
  ];
}
