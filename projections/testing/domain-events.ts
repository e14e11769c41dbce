import { randomUUID } from 'node:crypto';
import { eventRegistry, type DomainEvent } from '../../domain/events.registry.js';
import type { AppendResult, EventStore, EventToAppend } from '../../infra/eventstore/event-store.js';

/** A domain event as a writer stores it: a fresh id, and its schema version in the metadata. */
export function toStoredEvent(event: DomainEvent): EventToAppend {
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: { schemaVersion: eventRegistry[event.type].version },
  };
}

export function appendDomainEvents(
  eventStore: EventStore,
  stream: string,
  events: readonly DomainEvent[],
): Promise<AppendResult> {
  return eventStore.appendToStream(stream, events.map(toStoredEvent));
}
