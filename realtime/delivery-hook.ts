import type { Connection } from './connection.js';
import type { ServerFrame } from './frames.js';

/** A new message handed to a recipient's connection: what its delivery receipt says. */
export interface DeliveredMessage {
  conversationId: string;
  seq: number;
  senderId: string;
}

/** Called for each connection a `message.create` was handed to without error. */
export type OnMessageDelivered = (connection: Connection, message: DeliveredMessage) => void;

/**
 * What runs once `frame` has gone out to a connection, live or replayed: for a new
 * message, its delivery receipt to the sender; nothing for any other frame.
 */
export function deliveryHook(
  delivered: OnMessageDelivered | undefined,
  conversationId: string,
  frame: ServerFrame,
): ((connection: Connection) => void) | undefined {
  const message =
    frame.type === 'message.create'
      ? (frame.data.message as { seq: number; senderId: string } | undefined)
      : undefined;
  if (!delivered || !message) return undefined;
  const receipt = { conversationId, seq: message.seq, senderId: message.senderId };
  return (connection) => delivered(connection, receipt);
}
