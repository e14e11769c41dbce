import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { StreamNotFoundError } from '../../infra/eventstore/event-store.errors.js';

const PAGE = 1_000;

/** Thrown when the stream asked for has no events: the CLI says so and exits 1. */
export class NoSuchStreamError extends Error {}

/**
 * Every event of one stream, oldest first, that entered the log at or before
 * `until` (all of them without it). Reads page by page; stops at the first event
 * past `until`, since a stream's events are stored in time order.
 */
export async function readStreamHistory(
  eventStore: EventStore,
  stream: string,
  until?: Date,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let from = 0; ; from += PAGE) {
    let page: RecordedEvent[];
    try {
      page = await eventStore.readStream(stream, { fromRevision: from, maxCount: PAGE });
    } catch (error) {
      if (error instanceof StreamNotFoundError) throw new NoSuchStreamError(`no stream named ${stream}`);
      throw error;
    }
    for (const event of page) {
      if (until && event.createdAt > until) return events;
      events.push(event);
    }
    if (page.length < PAGE) return events;
  }
}
