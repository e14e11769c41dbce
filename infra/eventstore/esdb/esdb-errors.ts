import {
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError as EsdbStreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
} from '@eventstore/db-client';
import {
  DuplicateEventIdError,
  EventStoreError,
  EventStoreUnavailableError,
  EventTooLargeError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../event-store.errors.js';
import type { ExpectedRevision } from '../event-store.js';
import type { SerializedEvent } from '../validate-append.js';

/** What the failed operation was about, so the port's error can say it. */
export interface EsdbErrorContext {
  stream?: string;
  expected?: ExpectedRevision;
  events?: readonly SerializedEvent[];
}

/** Node's own socket errors, raised before gRPC has a status to report. */
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** gRPC's UNAVAILABLE, for errors the client passes through without converting them. */
const GRPC_UNAVAILABLE = 14;

/** Whether the stream's actual state satisfies the expectation (the port's reading of ESDB's rule). */
export function expectationHeld(expected: ExpectedRevision, actual: number | 'no_stream'): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 'no_stream';
  if (expected === 'stream_exists') return actual !== 'no_stream';
  return actual === expected;
}

/** The connection, the leader or the deadline failed: the same call may succeed later. */
export function isTransientEsdbError(error: unknown): boolean {
  if (error instanceof EventStoreUnavailableError) return true;
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError ||
    error instanceof CancelledError
  )
    return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === GRPC_UNAVAILABLE || (typeof code === 'string' && SOCKET_ERROR_CODES.has(code));
}

/**
 * An append whose answer never came: ESDB may have written it. It also drops,
 * without an answer, a copy of a write whose original is not indexed yet.
 */
export function isAppendOutcomeUnknown(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof DeadlineExceededError;
}

/**
 * ESDB reads `$all` only from the first byte of a record and answers any other
 * position with a status-less server error ("Trying to read from an invalid position").
 */
export function mayBeInvalidPosition(error: unknown): boolean {
  return error instanceof UnknownError;
}

/**
 * The one place where the client's errors become the port's. Errors that the
 * port has no name for (access denied, a server bug) pass through unchanged,
 * as the SQL engines do with theirs.
 */
export function translateEsdbError(error: unknown, context: EsdbErrorContext = {}): Error {
  if (error instanceof EventStoreError) return error;
  const stream = context.stream ?? '';
  if (error instanceof EsdbWrongExpectedVersionError) {
    const actual = error.actualVersion === 'no_stream' ? 'no_stream' : Number(error.actualVersion);
    const expected = context.expected ?? 'any';
    // ESDB also answers WrongExpectedVersion when only part of the batch was written
    // before (its "corrupted idempotency"); if the expectation held, that is the only cause.
    if (expectationHeld(expected, actual)) return new DuplicateEventIdError(stream);
    return new WrongExpectedVersionError(stream, expected, actual);
  }
  // A deleted stream has no events to read and takes no appends: to the port it is not there.
  if (error instanceof EsdbStreamNotFoundError || error instanceof EsdbStreamDeletedError)
    return new StreamNotFoundError(stream || (error as { streamName?: string }).streamName || '');
  if (error instanceof MaxAppendSizeExceededError) {
    // ESDB limits the whole append (1 MiB by default), the port limits each event: name the largest.
    const events = context.events ?? [];
    const largest = events.reduce<SerializedEvent | undefined>(
      (big, event) => (big === undefined || event.bytes > big.bytes ? event : big),
      undefined,
    );
    const total = events.reduce((sum, event) => sum + event.bytes, 0);
    return new EventTooLargeError(largest?.id ?? '', total, error.maxAppendSize);
  }
  if (isTransientEsdbError(error))
    return new EventStoreUnavailableError('the esdb event store is unreachable', { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
