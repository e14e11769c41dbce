import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../../gateway/auth/authenticate.js';
import type {
  ConversationQueries,
  ConversationRouteDeps,
} from '../../gateway/conversations/conversation-route.deps.js';
import { conversationRoutes } from '../../gateway/conversations/conversations.routes.js';
import { eventsRoute } from '../../gateway/conversations/events.route.js';
import { messageRoutes } from '../../gateway/conversations/messages.routes.js';
import { chatProjections } from '../../projections/index.js';
import {
  getConversation,
  isMember,
  listConversations,
} from '../../readmodels/conversations/conversations.query.js';
import { getMessage, getMessages } from '../../readmodels/messages/messages.query.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Feature, Infrastructure } from '../compose.js';
import { handleCheckAttachments } from '../../commands/attachments/check-attachments.handler.js';
import { attachmentsOf } from './attachments.shared.js';
import { conversationCommandsOf } from './conversation-commands.shared.js';

/** The read models behind the routes' query port. */
export function sqlConversationQueries(db: SqlExecutor): ConversationQueries {
  return {
    listConversations: (userId, page) => listConversations(db, userId, page),
    getConversation: (userId, conversationId) => getConversation(db, userId, conversationId),
    isMember: (userId, conversationId) => isMember(db, userId, conversationId),
    getMessages: (conversationId, page) => getMessages(db, conversationId, page),
    getMessage: (conversationId, messageId) => getMessage(db, conversationId, messageId),
  };
}

/**
 * Conversations, members, messages, reactions, read markers and the events feed.
 * Needs the accounts feature before it (the auth plugin and the accounts table
 * that says which user ids exist).
 */
export function conversationsFeature() {
  return async (infra: Infrastructure): Promise<Feature> => {
    const { sql, eventStore, projections } = infra;
    const checkAttachments = handleCheckAttachments((await attachmentsOf(infra)).deps);
    projections.register(...chatProjections);
    // REST only; the projections are registered whatever the role, so every process waits on them.
    if (!infra.roles.has('api')) return {};
    const commands = conversationCommandsOf(infra);
    const routes: FastifyPluginAsync = async (app) => {
      const deps: ConversationRouteDeps = {
        commands,
        queries: sqlConversationQueries(sql),
        eventStore,
        waitForPosition: (position) => projections.waitForPosition(position),
        authenticate: app.authenticate,
        callerId: (request) => requireUser(request).id,
      };
      await app.register(conversationRoutes(deps));
      await app.register(messageRoutes(deps, { checkAttachments }));
      await app.register(eventsRoute(deps));
    };
    return { routes };
  };
}
