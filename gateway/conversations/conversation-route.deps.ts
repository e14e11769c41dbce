import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ConversationCommands } from '../../commands/conversations/conversation-commands.js';
import type { CommandMetadata } from '../../commands/shared/event-codec.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import type { z } from 'zod';
import type { conversationDetailSchema, conversationSchema, messageSchema } from './conversation.schemas.js';

export type ConversationView = z.infer<typeof conversationSchema>;
export type ConversationDetailView = z.infer<typeof conversationDetailSchema>;
export type MessageView = z.infer<typeof messageSchema>;

/** The query side as the routes see it: the caller's view, `null` for "not yours to see". */
export interface ConversationQueries {
  listConversations(
    userId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: ConversationView[]; nextCursor: string | null }>;
  getConversation(userId: string, conversationId: string): Promise<ConversationDetailView | null>;
  isMember(userId: string, conversationId: string): Promise<boolean>;
  getMessages(
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit: number },
  ): Promise<{ items: MessageView[]; hasMore: boolean }>;
  getMessage(conversationId: string, messageId: string): Promise<MessageView | null>;
}

export interface ConversationRouteDeps {
  commands: ConversationCommands;
  queries: ConversationQueries;
  eventStore: EventStore;
  /** Resolves once every read model has applied the event at `position` (false after the deadline). */
  waitForPosition: (position: bigint) => Promise<boolean>;
  /** Rejects an unauthenticated request with 401; on success the caller is known. */
  authenticate: preHandlerAsyncHookHandler;
  callerId: (request: FastifyRequest) => string;
}

export function commandMetadata(deps: ConversationRouteDeps, request: FastifyRequest): CommandMetadata {
  return { actorId: deps.callerId(request), correlationId: request.id };
}
