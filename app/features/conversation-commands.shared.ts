import { randomUUID } from 'node:crypto';
import { ConversationCommands } from '../../commands/conversations/conversation-commands.js';
import { SqlAccountStore } from '../../infra/accounts/account-store.js';
import type { Infrastructure } from '../compose.js';

const perApp = new WeakMap<Infrastructure, ConversationCommands>();

/**
 * The one `ConversationCommands` of a composed app, shared by REST and the
 * WebSocket: its cached stream states and per-stream group commit only work when
 * every command of this node goes through the same instance.
 */
export function conversationCommandsOf(infra: Infrastructure): ConversationCommands {
  let commands = perApp.get(infra);
  if (!commands) {
    commands = new ConversationCommands({
      eventStore: infra.eventStore,
      users: new SqlAccountStore(infra.sql),
      clock: () => new Date(),
      newId: randomUUID,
      limits: { maxGroupMembers: infra.config.GROUP_MAX_MEMBERS },
      cacheEntries: infra.config.DECISION_CACHE_ENTRIES,
    });
    perApp.set(infra, commands);
  }
  return commands;
}
