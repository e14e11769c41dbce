/**
 * Every event type the domain writes, with its current schema version and the
 * zod schema of its data. Writers store `version` in the event's metadata;
 * readers turn stored data into the current shape with `upcast` or `decodeEvent`.
 */
import {
  conversationCreatedSchema,
  conversationRenamedSchema,
  memberRemovedSchema,
  memberRoleChangedSchema,
  membersAddedSchema,
  messageDeletedSchema,
  messageEditedSchema,
  messageSentSchema,
  reactionAddedSchema,
  reactionRemovedSchema,
  type ConversationEvent,
} from './conversation/conversation.events.js';
import {
  createUpcast,
  EventDecodingError,
  type EventDefinition,
  type Upcast,
  type UpcasterTable,
} from './event-upcasting.js';
import type { z } from 'zod';
import { readMarkerMovedSchema, type ReceiptsEvent } from './receipts/receipts.events.js';
import { userProfileUpdatedSchema, userRegisteredSchema, type UserEvent } from './user/user.events.js';

export type DomainEvent = ConversationEvent | UserEvent | ReceiptsEvent;
export type DomainEventType = DomainEvent['type'];

export const eventRegistry = {
  ConversationCreated: { version: 1, schema: conversationCreatedSchema },
  MembersAdded: { version: 1, schema: membersAddedSchema },
  MemberRemoved: { version: 1, schema: memberRemovedSchema },
  MemberRoleChanged: { version: 1, schema: memberRoleChangedSchema },
  ConversationRenamed: { version: 1, schema: conversationRenamedSchema },
  MessageSent: { version: 1, schema: messageSentSchema },
  MessageEdited: { version: 1, schema: messageEditedSchema },
  MessageDeleted: { version: 1, schema: messageDeletedSchema },
  ReactionAdded: { version: 1, schema: reactionAddedSchema },
  ReactionRemoved: { version: 1, schema: reactionRemovedSchema },
  UserRegistered: { version: 1, schema: userRegisteredSchema },
  UserProfileUpdated: { version: 1, schema: userProfileUpdatedSchema },
  ReadMarkerMoved: { version: 1, schema: readMarkerMovedSchema },
} as const satisfies {
  [Type in DomainEventType]: EventDefinition<z.ZodType<Extract<DomainEvent, { type: Type }>['data']>>;
};

/** None yet: every type is at version 1. A bump adds `{ Type: { 1: (v1) => v2 } }` here. */
export const upcasters: UpcasterTable<typeof eventRegistry> = {};

export const upcast: Upcast<typeof eventRegistry> = createUpcast(eventRegistry, upcasters);

export function isDomainEventType(type: string): type is DomainEventType {
  return Object.hasOwn(eventRegistry, type);
}

/** A stored event as the current domain event; throws `EventDecodingError` if it cannot be. */
export function decodeEvent(type: string, version: number, data: unknown): DomainEvent {
  if (!isDomainEventType(type)) throw new EventDecodingError(`unknown event type ${type}`);
  // `upcast` returned the data of exactly this `type`; TypeScript cannot pair the two by itself.
  return { type, data: upcast(type, version, data) } as DomainEvent;
}

/**
 * An event as the log stores it, in the current shape. Writers put the schema
 * version in the metadata as `schemaVersion`; an event without one predates
 * versioning and is read as version 1 (its data is still checked).
 */
export function decodeStoredEvent(stored: {
  type: string;
  data: unknown;
  metadata: Readonly<Record<string, unknown>>;
}): DomainEvent {
  return decodeEvent(stored.type, Number(stored.metadata.schemaVersion ?? 1), stored.data);
}
