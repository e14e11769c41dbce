import { decodeRecorded } from '../projections/recorded-events.js';
import type { ConversationEvent } from '../domain/conversation/conversation.events.js';
import type { RecordedEvent } from '../infra/eventstore/event-store.js';

/** A server → client frame as PROTOCOL.md defines it. */
export interface ServerFrame {
  type: string;
  data: Record<string, unknown>;
}

/** What a frame may need beyond the event itself: current views from the read models. */
export interface FrameLookups {
  message(messageId: string): Promise<Record<string, unknown> | null>;
  conversation(): Promise<Record<string, unknown> | null>;
}

/**
 * A new message's attachments as PROTOCOL.md shows them (filename, size, a fresh
 * download URL): the event has only keys, so they come from the read model's view
 * of the message; `{ key }` alone if the read model does not have it yet.
 */
async function attachmentsOf(
  data: { messageId: string; attachments: readonly string[] },
  lookups: FrameLookups,
): Promise<unknown[]> {
  const message = await lookups.message(data.messageId);
  const views: unknown = message?.attachments;
  return Array.isArray(views) ? (views as unknown[]) : data.attachments.map((key) => ({ key }));
}

/**
 * One frame per conversation event, carrying `conversationId` and the event's
 * `rev`. A new message is built from its event (plus its attachments' views); an edit or a reaction
 * carries the message as the read model has it now (PROTOCOL.md's
 * `message.update` holds a whole Message), and so does a conversation change.
 * A caller that has decoded the event already passes it, saving a second decode.
 */
export async function frameOf(
  conversationId: string,
  recorded: RecordedEvent,
  lookups: FrameLookups,
  event: ConversationEvent = decodeRecorded<ConversationEvent>(recorded),
): Promise<ServerFrame> {
  const rev = recorded.revision;
  const base = { conversationId, rev };
  switch (event.type) {
    case 'MessageSent': {
      const data = event.data;
      return {
        type: 'message.create',
        data: {
          ...base,
          message: {
            id: data.messageId,
            conversationId,
            seq: data.seq,
            senderId: data.senderId,
            clientMsgId: data.clientMsgId,
            body: data.body,
            attachments: data.attachments.length === 0 ? [] : await attachmentsOf(data, lookups),
            replyTo: data.replyTo,
            reactions: {},
            createdAt: data.sentAt,
            editedAt: null,
            deleted: false,
          },
        },
      };
    }
    case 'MessageEdited':
    case 'ReactionAdded':
    case 'ReactionRemoved':
      return {
        type: 'message.update',
        data: { ...base, message: await lookups.message(event.data.messageId) },
      };
    case 'MessageDeleted':
      return {
        type: 'message.delete',
        data: { ...base, messageId: event.data.messageId, seq: event.data.seq },
      };
    case 'ConversationCreated':
      return { type: 'conversation.create', data: { ...base, conversation: await lookups.conversation() } };
    case 'ConversationRenamed':
    case 'MemberRoleChanged':
      return { type: 'conversation.update', data: { ...base, conversation: await lookups.conversation() } };
    case 'MembersAdded': {
      // One event, one frame: `userId`/`role` name the first member, `members` lists them all.
      const [first] = event.data.members;
      return {
        type: 'member.join',
        data: { ...base, userId: first?.userId, role: first?.role, members: event.data.members },
      };
    }
    case 'MemberRemoved':
      return { type: 'member.leave', data: { ...base, userId: event.data.userId } };
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
