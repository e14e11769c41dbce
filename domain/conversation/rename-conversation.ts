import type { RenameConversation } from './conversation.commands.js';
import type { ConversationRenamed } from './conversation.events.js';
import { requireGroup, requireManager, requireMember } from './conversation.guards.js';
import type { ConversationState } from './conversation.state.js';
import { normalizeTitle } from './conversation-title.js';

/** An owner or admin sets (or, with `null`, clears) a group's title; the same title writes nothing. */
export function renameConversation(
  { data: command }: RenameConversation,
  state: ConversationState,
  now: Date,
): ConversationRenamed[] {
  const { conversation, actor } = requireMember(state, command.actorId);
  const title = normalizeTitle(command.title);
  requireGroup(conversation, 'be renamed');
  requireManager(actor, 'rename the conversation');

  if (title === conversation.title) return [];
  return [
    { type: 'ConversationRenamed', data: { title, renamedBy: command.actorId, at: now.toISOString() } },
  ];
}
