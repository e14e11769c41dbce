import type { AttachmentView } from '../attachments/attachment-views.js';

/** PROTOCOL.md `Attachment`, with a download URL signed when the message was read. */
export type AttachmentRef = AttachmentView;

/** PROTOCOL.md `Message`. */
export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  /** null once deleted. */
  body: string | null;
  /** [] once deleted. */
  attachments: AttachmentRef[];
  replyTo: string | null;
  /** emoji → ids of the users who reacted with it, oldest reaction first; {} once deleted. */
  reactions: Record<string, string[]>;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

/** A page of one conversation's messages, in ascending seq. */
export interface MessagePage {
  items: MessageView[];
  /** Whether more messages exist beyond this page in the direction paged. */
  hasMore: boolean;
}
