import { validate as isUuid } from 'uuid';
import { EventTooLargeError, InvalidEventError, InvalidStreamNameError } from './event-store.errors.js';
import type { EventToAppend, ExpectedRevision } from './event-store.js';

/** EventStoreDB's default is far larger; a chat event over 1 MiB is a bug or an attack. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

const MAX_STREAM_NAME_LENGTH = 200;
const MAX_TYPE_LENGTH = 200;
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u;

/**
 * Streams starting with `$` are EventStoreDB's system streams (`$all`, `$ce-…`); the
 * port reserves them on every engine so that names mean the same everywhere.
 */
export function assertValidStreamName(stream: string): void {
  if (typeof stream !== 'string' || stream.length === 0)
    throw new InvalidStreamNameError(String(stream), 'empty');
  if (stream.length > MAX_STREAM_NAME_LENGTH)
    throw new InvalidStreamNameError(stream, `longer than ${MAX_STREAM_NAME_LENGTH} characters`);
  if (stream.startsWith('$')) throw new InvalidStreamNameError(stream, 'names starting with $ are reserved');
  if (WHITESPACE_OR_CONTROL.test(stream))
    throw new InvalidStreamNameError(stream, 'whitespace and control characters are not allowed');
}

export function assertValidExpectedRevision(stream: string, expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (!Number.isSafeInteger(expected) || expected < 0)
    throw new InvalidEventError(`stream ${stream}: expected revision ${String(expected)} is not valid`);
}

export interface SerializedEvent {
  id: string;
  type: string;
  /** The event's data and metadata as JSON text, serialized once and shipped as they are. */
  data: string;
  metadata: string;
  /** Bytes of data and metadata together: what the size limit is checked against. */
  bytes: number;
}

/**
 * Checks every event and serializes it once; the byte size checked is the size
 * that will be stored, so the limit means the same on every engine.
 */
export function serializeEvents(
  stream: string,
  events: readonly EventToAppend[],
  maxEventBytes: number,
): SerializedEvent[] {
  // Callers outside TypeScript's reach (a route, a script) may pass anything.
  const given: unknown = events;
  if (!Array.isArray(given)) throw new InvalidEventError(`stream ${stream}: events must be an array`);
  const seen = new Set<string>();
  return events.map((event) => {
    if (typeof event.id !== 'string' || !isUuid(event.id))
      throw new InvalidEventError(`stream ${stream}: event id ${String(event.id)} is not a UUID`);
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new InvalidEventError(`stream ${stream}: event id ${id} appears twice`);
    seen.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0 || event.type.length > MAX_TYPE_LENGTH)
      throw new InvalidEventError(
        `stream ${stream}: event ${id} needs a type of 1 to ${MAX_TYPE_LENGTH} characters`,
      );
    const metadata = event.metadata ?? {};
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      throw new InvalidEventError(`stream ${stream}: event ${id} metadata must be an object`);
    let data: string | undefined;
    let metadataJson: string;
    try {
      data = JSON.stringify(event.data);
      metadataJson = JSON.stringify(metadata);
    } catch (error) {
      throw new InvalidEventError(`stream ${stream}: event ${id} is not serializable as JSON`, {
        cause: error,
      });
    }
    if (data === undefined) throw new InvalidEventError(`stream ${stream}: event ${id} has no data`);
    const bytes = Buffer.byteLength(data, 'utf8') + Buffer.byteLength(metadataJson, 'utf8');
    if (bytes > maxEventBytes) throw new EventTooLargeError(id, bytes, maxEventBytes);
    return { id, type: event.type, data, metadata: metadataJson, bytes };
  });
}

export const MAX_READ_COUNT = 10_000;

export function clampMaxCount(maxCount: number | undefined): number {
  if (maxCount === undefined) return 1000;
  if (!Number.isSafeInteger(maxCount) || maxCount < 1)
    throw new RangeError(`maxCount ${maxCount} must be a positive integer`);
  return Math.min(maxCount, MAX_READ_COUNT);
}
