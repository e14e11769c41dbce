import type { ConversationKind, MemberRole } from '../../domain/conversation/conversation.events.js';
import type { MessageView } from '../messages/message.view.js';

/** PROTOCOL.md `Member`. */
export interface MemberView {
  userId: string;
  role: MemberRole;
  joinedAt: string;
}

/** PROTOCOL.md `Conversation`; `readSeq` and `unreadCount` are the asking user's. */
export interface ConversationView {
  id: string;
  kind: ConversationKind;
  title: string | null;
  /** In join order. */
  members: MemberView[];
  createdAt: string;
  lastSeq: number;
  lastRev: number;
  lastMessage: MessageView | null;
  readSeq: number;
  /** lastSeq − readSeq, never negative. */
  unreadCount: number;
}

export interface ReadMarkerView {
  userId: string;
  seq: number;
}

/** `GET /v1/conversations/:id`: the conversation and every member's read marker (in member order). */
export type ConversationDetailView = ConversationView & { readMarkers: ReadMarkerView[] };

export interface ConversationPage {
  items: ConversationView[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}
