/** The objects of PROTOCOL.md, as the client reads them. */

export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}

export interface Me extends User {
  email: string;
}

export interface Member {
  userId: string;
  role: 'owner' | 'admin' | 'member';
  joinedAt: string;
}

export interface Attachment {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  /** A time-limited download URL; relative when Parley serves the bytes itself. */
  url: string;
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string | null;
  attachments: Attachment[];
  replyTo: string | null;
  reactions: Record<string, string[]>;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export interface Conversation {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  members: Member[];
  createdAt: string;
  lastSeq: number;
  lastRev: number;
  lastMessage: Message | null;
  readSeq: number;
  unreadCount: number;
}

export interface ConversationDetail extends Conversation {
  readMarkers: { userId: string; seq: number }[];
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Session {
  user: Me;
  tokens: Tokens;
}

export interface AttachmentGrant {
  key: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

export interface SearchHit extends Message {
  /** HTML-escaped excerpt with the matches in `<mark>`. */
  highlight: string;
}

export interface SendAck {
  status: 'ok';
  messageId: string;
  seq: number;
  duplicate: boolean;
}

export interface PresenceStatus {
  userId: string;
  status: 'online' | 'offline';
  lastSeenAt: string | null;
}

/** Server → client frames the app reacts to; anything else arrives as `UnknownFrame`. */
export type ServerFrame =
  | { type: 'message.create'; data: { conversationId: string; rev: number; message: Message } }
  | { type: 'message.update'; data: { conversationId: string; rev: number; message: Message } }
  | { type: 'message.delete'; data: { conversationId: string; rev: number; messageId: string; seq: number } }
  | {
      type: 'conversation.create' | 'conversation.update';
      data: { conversationId: string; rev: number; conversation: Conversation };
    }
  | {
      type: 'member.join' | 'member.leave';
      data: { conversationId: string; rev: number; userId: string; role?: Member['role'] };
    }
  | { type: 'message.read'; data: { conversationId: string; userId: string; seq: number; rev?: number } }
  | { type: 'message.delivery'; data: { conversationId: string; userId: string; seq: number } }
  | { type: 'typing.update'; data: { conversationId: string; userId: string; typing: boolean } }
  | { type: 'presence.update'; data: PresenceStatus }
  | { type: 'system.notice'; data: { message: string } }
  | { type: 'sync.done'; data: { cursors: Record<string, number> } };

export interface RawFrame {
  type: string;
  id?: string;
  data?: unknown;
}
