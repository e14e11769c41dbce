import type {
  ConversationDetailView,
  MessageView,
} from '../gateway/conversations/conversation-route.deps.js';

/** The read models the realtime layer reads: the caller's view of a conversation, and one message. */
export interface RealtimeQueries {
  /** Null when the conversation does not exist or `userId` is not a member. */
  getConversation(userId: string, conversationId: string): Promise<ConversationDetailView | null>;
  getMessage(conversationId: string, messageId: string): Promise<MessageView | null>;
  /** The conversations `userId` is a member of, and the read model's position when read. */
  getMembershipSnapshot(userId: string): Promise<{ conversationIds: readonly string[]; position: bigint }>;
}
