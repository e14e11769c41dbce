/**
 * The events of a `conversation-<uuid>` stream. Each has a zod schema for its data
 * (the stored shape, checked when stored events are decoded) and a type inferred
 * from it. Times are ISO-8601 strings; a renamed field or a new shape is a new
 * schema version with an upcaster in `events.registry.ts`, never an edit here.
 */
import { z } from 'zod';

import type { DomainEventOf } from '../decider.js';

const id = z.uuid();
const isoTime = z.iso.datetime();

export const conversationKindSchema = z.enum(['direct', 'group']);
export type ConversationKind = z.infer<typeof conversationKindSchema>;

export const memberRoleSchema = z.enum(['owner', 'admin', 'member']);
export type MemberRole = z.infer<typeof memberRoleSchema>;

export const memberSchema = z.object({ userId: id, role: memberRoleSchema, joinedAt: isoTime });
export type Member = z.infer<typeof memberSchema>;

export const conversationCreatedSchema = z.object({
  conversationId: id,
  kind: conversationKindSchema,
  title: z.string().nullable(),
  createdBy: id,
  members: z.array(memberSchema).min(1),
  createdAt: isoTime,
});

export const membersAddedSchema = z.object({
  /** Each added member's `joinedAt` is the time of the addition. */
  members: z.array(memberSchema).min(1),
  addedBy: id,
});

/** `removedBy === userId` means the member left. */
export const memberRemovedSchema = z.object({ userId: id, removedBy: id, at: isoTime });

export const memberRoleChangedSchema = z.object({
  userId: id,
  role: memberRoleSchema,
  changedBy: id,
  at: isoTime,
});

/** `title: null` clears the title. */
export const conversationRenamedSchema = z.object({
  title: z.string().nullable(),
  renamedBy: id,
  at: isoTime,
});

export const messageSentSchema = z.object({
  messageId: id,
  seq: z.number().int().positive(),
  senderId: id,
  clientMsgId: id,
  body: z.string(),
  /** Attachment keys, resolved to files by the read side. */
  attachments: z.array(z.string().min(1)),
  replyTo: id.nullable(),
  sentAt: isoTime,
});

export const messageEditedSchema = z.object({
  messageId: id,
  seq: z.number().int().positive(),
  body: z.string(),
  editedAt: isoTime,
});

export const messageDeletedSchema = z.object({
  messageId: id,
  seq: z.number().int().positive(),
  deletedBy: id,
  deletedAt: isoTime,
});

const reactionSchema = z.object({ messageId: id, emoji: z.string().min(1), userId: id, at: isoTime });
export const reactionAddedSchema = reactionSchema;
export const reactionRemovedSchema = reactionSchema;

export type ConversationCreated = DomainEventOf<
  'ConversationCreated',
  z.infer<typeof conversationCreatedSchema>
>;
export type MembersAdded = DomainEventOf<'MembersAdded', z.infer<typeof membersAddedSchema>>;
export type MemberRemoved = DomainEventOf<'MemberRemoved', z.infer<typeof memberRemovedSchema>>;
export type MemberRoleChanged = DomainEventOf<'MemberRoleChanged', z.infer<typeof memberRoleChangedSchema>>;
export type ConversationRenamed = DomainEventOf<
  'ConversationRenamed',
  z.infer<typeof conversationRenamedSchema>
>;
export type MessageSent = DomainEventOf<'MessageSent', z.infer<typeof messageSentSchema>>;
export type MessageEdited = DomainEventOf<'MessageEdited', z.infer<typeof messageEditedSchema>>;
export type MessageDeleted = DomainEventOf<'MessageDeleted', z.infer<typeof messageDeletedSchema>>;
export type ReactionAdded = DomainEventOf<'ReactionAdded', z.infer<typeof reactionAddedSchema>>;
export type ReactionRemoved = DomainEventOf<'ReactionRemoved', z.infer<typeof reactionRemovedSchema>>;

export type ConversationEvent =
  | ConversationCreated
  | MembersAdded
  | MemberRemoved
  | MemberRoleChanged
  | ConversationRenamed
  | MessageSent
  | MessageEdited
  | MessageDeleted
  | ReactionAdded
  | ReactionRemoved;
