import type { Conversation, Me, Message, PresenceStatus, User } from '../protocol';

/** A message shown before the server has it: it becomes final when its `message.create` arrives. */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  body: string;
  attachmentNames: string[];
  replyTo: string | null;
  createdAt: string;
  status: 'sending' | 'failed';
  error?: string;
}

export interface MessagePage {
  /** Ascending seq, no duplicates. */
  items: Message[];
  hasMore: boolean;
  loadingOlder: boolean;
  /** False until the newest page came from REST; frames arriving before it are kept and merged. */
  loaded: boolean;
}

/** Everything the screens draw; changed only through ChatStore. */
export interface ChatState {
  me: Me;
  conversations: Map<string, Conversation>;
  messages: Map<string, MessagePage>;
  pending: Map<string, PendingMessage[]>;
  users: Map<string, User>;
  /** conversationId → userId → when their typing indicator lapses (ms). */
  typing: Map<string, Map<string, number>>;
  presence: Map<string, PresenceStatus>;
  /** conversationId → userId → highest seq read. */
  readMarkers: Map<string, Map<string, number>>;
  activeId: string | null;
  connection: 'connecting' | 'open' | 'closed';
}

export function emptyState(me: Me): ChatState {
  return {
    me,
    conversations: new Map(),
    messages: new Map(),
    pending: new Map(),
    users: new Map([[me.id, me]]),
    typing: new Map(),
    presence: new Map(),
    readMarkers: new Map(),
    activeId: null,
    connection: 'connecting',
  };
}

/** Most recent activity first, as the server lists them. */
export function sortedConversations(state: ChatState): Conversation[] {
  const activity = (conversation: Conversation) =>
    conversation.lastMessage?.createdAt ?? conversation.createdAt;
  return [...state.conversations.values()].sort((a, b) => activity(b).localeCompare(activity(a)));
}

/** Inserts or replaces by seq, keeping the page ascending. */
export function withMessage(items: Message[], message: Message): Message[] {
  const index = items.findIndex((item) => item.seq >= message.seq);
  if (index === -1) return [...items, message];
  if (items[index]!.seq === message.seq) return items.map((item, i) => (i === index ? message : item));
  return [...items.slice(0, index), message, ...items.slice(index)];
}

/** The title a conversation is shown under: its own, or the other members' names. */
export function conversationTitle(state: ChatState, conversation: Conversation): string {
  if (conversation.title) return conversation.title;
  const others = conversation.members.filter((member) => member.userId !== state.me.id);
  if (others.length === 0) return 'Just you';
  return others.map((member) => state.users.get(member.userId)?.displayName ?? '…').join(', ');
}

/** In a direct conversation, the other person. */
export function directPeer(state: ChatState, conversation: Conversation): string | null {
  if (conversation.kind !== 'direct') return null;
  return conversation.members.find((member) => member.userId !== state.me.id)?.userId ?? null;
}
