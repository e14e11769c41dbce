import { decodeStoredEvent, eventRegistry, type DomainEvent } from '../../domain/events.registry.js';
import type { EventToAppend, JsonObject, RecordedEvent } from '../../infra/eventstore/event-store.js';

/** Who asked, and why: stored with every event so a replay can tell who did what. */
export interface CommandMetadata {
  actorId: string;
  /** The request id that caused the command. */
  correlationId?: string;
}

export function metadataOf(command: CommandMetadata): JsonObject {
  return command.correlationId === undefined
    ? { actorId: command.actorId }
    : { actorId: command.actorId, correlationId: command.correlationId };
}

/** A domain event as the store appends it: a fresh id and the schema version it was written at. */
export function encodeEvent(newId: () => string) {
  return (event: DomainEvent, metadata: JsonObject): EventToAppend => ({
    id: newId(),
    type: event.type,
    data: event.data,
    metadata: { ...metadata, schemaVersion: eventRegistry[event.type].version },
  });
}

/** A stored event in the domain's current shape (older versions upcast). */
export function decodeRecorded<Event extends DomainEvent>(recorded: RecordedEvent): Event {
  return decodeStoredEvent(recorded) as Event;
}
