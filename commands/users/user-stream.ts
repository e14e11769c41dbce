import { randomUUID } from 'node:crypto';
import { decodeEvent, eventRegistry, type DomainEvent } from '../../domain/events.registry.js';
import type { UserEvent } from '../../domain/user/user.events.js';
import { evolve, initialState, type UserState } from '../../domain/user/user.state.js';
import type { EventStore, EventToAppend, JsonObject } from '../../infra/eventstore/event-store.js';
import { StreamNotFoundError } from '../../infra/eventstore/event-store.errors.js';

export const userStreamName = (userId: string): string => `user-${userId}`;

/** Who asked, for the audit trail every event carries. */
export interface CommandMetadata {
  /** The request id that led to the command. */
  correlationId?: string;
  /** The user acting. */
  actorId: string;
}

export interface LoadedUser {
  state: UserState;
  /** The stream's last revision, the expected revision of the next append; `no_stream` when empty. */
  revision: number | 'no_stream';
}

function schemaVersionOf(metadata: JsonObject): number {
  return typeof metadata.schemaVersion === 'number' ? metadata.schemaVersion : 1;
}

function isUserEvent(event: DomainEvent): event is UserEvent {
  return event.type === 'UserRegistered' || event.type === 'UserProfileUpdated';
}

/** Folds a user's stream. A user has a handful of events, so it is read whole. */
export async function loadUser(eventStore: EventStore, userId: string): Promise<LoadedUser> {
  let recorded;
  try {
    recorded = await eventStore.readStream(userStreamName(userId), { maxCount: 10_000 });
  } catch (error) {
    if (error instanceof StreamNotFoundError) return { state: initialState(), revision: 'no_stream' };
    throw error;
  }
  let state = initialState();
  for (const event of recorded) {
    const decoded = decodeEvent(event.type, schemaVersionOf(event.metadata), event.data);
    if (!isUserEvent(decoded)) throw new Error(`${event.type} does not belong in ${event.stream}`);
    state = evolve(state, decoded);
  }
  const last = recorded.at(-1);
  return { state, revision: last ? last.revision : 'no_stream' };
}

/** A domain event as stored: a fresh id, and its schema version and audit fields in the metadata. */
export function toEventToAppend(event: UserEvent, metadata: CommandMetadata): EventToAppend {
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: {
      schemaVersion: eventRegistry[event.type].version,
      actorId: metadata.actorId,
      ...(metadata.correlationId ? { correlationId: metadata.correlationId } : {}),
    },
  };
}
