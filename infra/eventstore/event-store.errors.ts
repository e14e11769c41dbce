/**
 * The closed set of errors the event store port raises. Engines translate their
 * drivers' errors into these, in one place each, so callers never see a driver type.
 */

export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/** The stream's actual state did not match the append's expectation. */
export class WrongExpectedVersionError extends EventStoreError {
  readonly code = 'wrong_expected_version';
  constructor(
    readonly stream: string,
    readonly expected: string | number,
    /** The revision of the stream's last event, or `no_stream`. */
    readonly actual: number | 'no_stream',
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

export class StreamNotFoundError extends EventStoreError {
  readonly code = 'stream_not_found';
  constructor(readonly stream: string) {
    super(`stream ${stream} not found`);
  }
}

export class InvalidStreamNameError extends EventStoreError {
  readonly code = 'invalid_stream_name';
  constructor(
    readonly stream: string,
    reason: string,
  ) {
    super(`invalid stream name ${JSON.stringify(stream.slice(0, 100))}: ${reason}`);
  }
}

/** An event is malformed: a bad id, an empty type, data that is not JSON, a repeated id. */
export class InvalidEventError extends EventStoreError {
  readonly code = 'invalid_event';
}

export class EventTooLargeError extends EventStoreError {
  readonly code = 'event_too_large';
  constructor(
    readonly eventId: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`event ${eventId} is ${size} bytes, over the limit of ${limit}`);
  }
}

/**
 * Some of the event ids were written before, but not as exactly this append
 * (another stream, another order, or only some of them): it cannot be a retry.
 */
export class DuplicateEventIdError extends EventStoreError {
  readonly code = 'duplicate_event_id';
  constructor(readonly stream: string) {
    super(`stream ${stream}: some event ids were already written, but not as this append`);
  }
}

/** The engine could not be reached or lost its connection; the operation may be retried. */
export class EventStoreUnavailableError extends EventStoreError {
  readonly code = 'unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store was closed; no more operations are accepted. */
export class EventStoreClosedError extends EventStoreError {
  readonly code = 'closed';
  constructor() {
    super('the event store is closed');
  }
}
