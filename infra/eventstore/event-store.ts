/**
 * The event store port. Semantics follow EventStoreDB so that every engine behind it
 * (EventStoreDB, PostgreSQL, embedded PGlite) is interchangeable; one conformance suite
 * (`event-store.conformance.ts`) holds every engine to this contract.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * What the stream must look like for an append to go through.
 * - `any`: no check.
 * - `no_stream`: the stream has no events yet.
 * - `stream_exists`: the stream has at least one event.
 * - a number: the revision of the stream's last event (0-based).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface EventToAppend {
  /** A UUID chosen by the writer; the key of idempotent appends. */
  id: string;
  /** The event's type name, e.g. `MessageSent`. */
  type: string;
  data: JsonValue;
  /** Correlation id, causation id, actor id, schema version… Defaults to `{}`. */
  metadata?: JsonObject;
}

export interface RecordedEvent {
  stream: string;
  /** 0-based, contiguous within the stream. */
  revision: number;
  /** Global order over all streams: strictly increasing in the order events become visible. */
  position: bigint;
  id: string;
  type: string;
  data: JsonValue;
  metadata: JsonObject;
  createdAt: Date;
}

export interface AppendResult {
  /** The revision of the stream's last event after the append (-1 when the stream is still empty). */
  nextRevision: number;
  /** The global position of the last event written (or of the head, for an empty append). */
  position: bigint;
  /** True when every event id was already written: nothing new was stored, the original result is returned. */
  duplicate: boolean;
}

export interface AppendOptions {
  /** Defaults to `any`. */
  expectedRevision?: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** Defaults to `forwards`. */
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Defaults to `start` reading forwards and `end` reading backwards. */
  fromRevision?: number | 'start' | 'end';
  /** Defaults to 1,000; engines cap it at 10,000. */
  maxCount?: number;
}

/** Which events of `$all` to deliver. Empty or missing lists match everything. */
export interface EventFilter {
  /** An event matches when its stream name starts with one of these. */
  streamPrefixes?: readonly string[];
  /** An event matches when its type is one of these. */
  eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Defaults to `forwards`. */
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Defaults to `start` reading forwards and `end` reading backwards. */
  fromPosition?: bigint | 'start' | 'end';
  /** Defaults to 1,000; engines cap it at 10,000. */
  maxCount?: number;
  filter?: EventFilter;
}

/** Where a subscription begins: before the first event, after the current head, or after a saved position. */
export type SubscriptionStart = 'start' | 'end' | { after: bigint };

export interface SubscribeToAllOptions {
  from: SubscriptionStart;
  filter?: EventFilter;
}

/**
 * A catch-up subscription: it delivers what is already stored, then goes live, in
 * global position order, and never skips an event that commits late. Delivery is
 * at-least-once across restarts: resume from the last position you processed.
 * Iterate it with `for await`; `stop()` (or breaking out of the loop) ends it.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  stop(): Promise<void>;
}

export interface EventStore {
  /** Which engine this is, for logs, metrics and benchmarks. */
  readonly engine: 'postgres' | 'pglite' | 'esdb';

  /**
   * Appends events atomically to one stream. Throws `WrongExpectedVersionError`
   * (carrying the actual revision) when the expectation fails. Re-appending events
   * whose ids were all written before to the same stream, in the same order, writes
   * nothing and returns the original result with `duplicate: true` (the Postgres
   * engines remember ids forever; EventStoreDB within its idempotency window).
   */
  appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ): Promise<AppendResult>;

  /** Reads one stream. Throws `StreamNotFoundError` when the stream has no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads the global log, optionally filtered, in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** See `Subscription`. */
  subscribeToAll(options: SubscribeToAllOptions): Subscription;

  /** The position of the newest event in the log (0n when it is empty). */
  headPosition(): Promise<bigint>;

  /** Stops subscriptions and releases connections. Appends in flight finish first. */
  close(): Promise<void>;
}
