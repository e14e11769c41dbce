/**
 * What a user may ask of a conversation. Shapes are already validated by the
 * gateway (types, uuids); the business rules — limits, roles, membership — are
 * checked by the decisions. `actorId` is the authenticated user.
 */
import type { CommandOf } from '../decider.js';
import type { ConversationKind } from './conversation.events.js';

export type CreateConversation = CommandOf<
  'CreateConversation',
  {
    actorId: string;
    conversationId: string;
    kind: ConversationKind;
    /** The other members; the actor joins as owner whether listed or not. */
    memberIds: readonly string[];
    title?: string | null;
  }
>;

export type AddMembers = CommandOf<'AddMembers', { actorId: string; userIds: readonly string[] }>;

/** `actorId === userId` means the actor leaves. */
export type RemoveMember = CommandOf<'RemoveMember', { actorId: string; userId: string }>;

/** `title: null` clears the title. */
export type RenameConversation = CommandOf<'RenameConversation', { actorId: string; title: string | null }>;

export type SendMessage = CommandOf<
  'SendMessage',
  {
    actorId: string;
    /** Chosen by the server; `clientMsgId` is the client's idempotency key. */
    messageId: string;
    clientMsgId: string;
    body: string;
    /** Attachment keys; who uploaded them is checked by the command handler. */
    attachments: readonly string[];
    replyTo: string | null;
  }
>;

export type EditMessage = CommandOf<'EditMessage', { actorId: string; messageId: string; body: string }>;

export type DeleteMessage = CommandOf<'DeleteMessage', { actorId: string; messageId: string }>;

export type AddReaction = CommandOf<'AddReaction', { actorId: string; messageId: string; emoji: string }>;

export type RemoveReaction = CommandOf<
  'RemoveReaction',
  { actorId: string; messageId: string; emoji: string }
>;

export type ConversationCommand =
  | CreateConversation
  | AddMembers
  | RemoveMember
  | RenameConversation
  | SendMessage
  | EditMessage
  | DeleteMessage
  | AddReaction
  | RemoveReaction;
