/**
 * A message's attachment as the read side knows it today: the key sent with the
 * message. PROTOCOL.md's full `Attachment` (filename, content type, size,
 * download URL) needs the blob store, which resolves keys; until that lands,
 * clients get `{ key }` for each attachment.
 */
export interface AttachmentRef {
  key: string;
}

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
