import { ForbiddenError, NotFoundError } from '../errors.js';
import type { RemoveMember } from './conversation.commands.js';
import type { MemberRemoved, MemberRoleChanged } from './conversation.events.js';
import { requireGroup, requireManager, requireMember } from './conversation.guards.js';
import type { ConversationState, ExistingConversation } from './conversation.state.js';

/**
 * A member leaves a group (`actorId === userId`), or an owner or admin removes
 * someone else; an admin may not remove the owner. When the owner leaves, the
 * ownership passes on in the same append, so a group with members always has an owner.
 */
export function removeMember(
  { data: command }: RemoveMember,
  state: ConversationState,
  now: Date,
): Array<MemberRemoved | MemberRoleChanged> {
  const { conversation, actor } = requireMember(state, command.actorId);
  const at = now.toISOString();
  const removed: MemberRemoved = {
    type: 'MemberRemoved',
    data: { userId: command.userId, removedBy: command.actorId, at },
  };

  if (command.userId === command.actorId) {
    requireGroup(conversation, 'be left');
    const successor = actor.role === 'owner' ? findSuccessor(conversation, command.actorId) : undefined;
    if (!successor) return [removed];
    return [
      removed,
      {
        type: 'MemberRoleChanged',
        data: { userId: successor, role: 'owner', changedBy: command.actorId, at },
      },
    ];
  }

  const target = conversation.members.get(command.userId);
  if (!target) throw new NotFoundError('member not found');
  requireGroup(conversation, 'lose members');
  requireManager(actor, 'remove members');
  if (target.role === 'owner') throw new ForbiddenError('the owner cannot be removed');
  return [removed];
}

/**
 * The longest-standing admin, else the longest-standing member. "Longest-standing"
 * follows the stream's order of joining (the members map keeps it), not the
 * `joinedAt` clocks, which may disagree between nodes.
 */
function findSuccessor(conversation: ExistingConversation, leavingOwnerId: string): string | undefined {
  let firstMember: string | undefined;
  for (const [userId, member] of conversation.members) {
    if (userId === leavingOwnerId) continue;
    if (member.role === 'admin') return userId;
    firstMember ??= userId;
  }
  return firstMember;
}
