import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError as EsdbStreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Direction,
  type Filter,
  type JSONType,
  type Position,
  type ReadPosition,
  type ReadRevision,
} from '@eventstore/db-client';
import {
  DuplicateEventIdError,
  EventStoreClosedError,
  WrongExpectedVersionError,
} from '../event-store.errors.js';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  JsonObject,
  JsonValue,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
} from '../event-store.js';
import {
  DEFAULT_MAX_EVENT_BYTES,
  assertValidExpectedRevision,
  assertValidStreamName,
  clampMaxCount,
  serializeEvents,
  type SerializedEvent,
} from '../validate-append.js';
import {
  expectationHeld,
  isAppendOutcomeUnknown,
  isTransientEsdbError,
  mayBeInvalidPosition,
  translateEsdbError,
} from './esdb-errors.js';
import { EsdbSubscription, SeenPositions, planStart, type StartPlan } from './esdb-subscription.js';

/**
 * Positions. The port's position is the event's `preparePosition`: the byte
 * offset of the event's own record in ESDB's log, so unique per event. Since
 * ESDB 20 the gRPC API writes every append as one run of consecutive records
 * from the single writer, with no explicit transactions, so `$all` order is
 * prepare order and strictly increasing. Such events carry commit == prepare;
 * only legacy explicit transactions share one commit position between events,
 * which is why the commit position cannot stand for an event. Reading "from p"
 * starts the client at `{ commit: p, prepare: p }` and drops what lies before p.
 */

/** Event metadata key holding the id of the append attempt that wrote the event; removed on read. */
const ATTEMPT_KEY = '$parleyAppendAttempt';
/** How many of a stream's newest events an append looks through for its own ids (see `findEarlierAppend`). */
const RECENT_EVENTS_CHECKED = 64;
const RECENT_IDS_KEPT = 50_000;

/** The parts of the client's recorded event this engine reads (the client's own type is a conditional union). */
interface EsdbEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

/** The EventStoreDB engine. Needs ESDB 22.6 or later (stream reads must carry positions). */
export async function openEsdbEventStore(
  connectionString: string,
  options: { maxEventBytes?: number } = {},
): Promise<EventStore> {
  const client = EventStoreDBClient.connectionString(connectionString);
  const store = new EsdbEventStore(client, options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
  try {
    await store.headPosition(); // fail now, not at the first append, when the server is unreachable
  } catch (error) {
    await client.dispose();
    throw error;
  }
  return store;
}

class EsdbEventStore implements EventStore {
  readonly engine = 'esdb';
  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly appendsInFlight = new Set<Promise<unknown>>();
  /** The last append of each (stream, first event id) still running, so an identical retry queues behind it. */
  private readonly sameBatchInFlight = new Map<string, Promise<unknown>>();
  private readonly seen = new SeenPositions();
  /**
   * Event id → stream, for the ids this store wrote lately. ESDB has no index by
   * event id and writes the same id to another stream without a word, so reuse
   * across streams is only caught within this window (and this process).
   */
  private readonly recentIds = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly maxEventBytes: number,
  ) {}

  async appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    this.assertOpen();
    assertValidStreamName(stream);
    const expected = options.expectedRevision ?? 'any';
    assertValidExpectedRevision(stream, expected);
    const serialized = serializeEvents(stream, events, this.maxEventBytes);
    if (serialized.length === 0) return this.appendNothing(stream, expected);

    // ESDB drops (without answering) a copy of a write whose original is not yet
    // indexed, so a retry racing its original from this process waits for it instead.
    const key = `${stream}\n${serialized[0]!.id}`;
    const previous = this.sameBatchInFlight.get(key);
    const work = (async () => {
      await previous?.catch(() => undefined);
      return this.appendOnce(stream, events, serialized, expected);
    })();
    this.sameBatchInFlight.set(key, work);
    this.appendsInFlight.add(work);
    try {
      return await work;
    } finally {
      this.appendsInFlight.delete(work);
      if (this.sameBatchInFlight.get(key) === work) this.sameBatchInFlight.delete(key);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertValidStreamName(stream);
    const backwards = options.direction === 'backwards';
    const maxCount = clampMaxCount(options.maxCount);
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    if (typeof from === 'number' && (!Number.isSafeInteger(from) || from < 0))
      throw new RangeError(`fromRevision ${from} must be a non-negative integer`);
    try {
      if (from === 'end' && !backwards) {
        // Nothing lies after the end; reading the newest event only tells a missing stream apart.
        await this.readEvents(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }, true);
        return [];
      }
      const revision: ReadRevision = from === 'start' ? START : from === 'end' ? END : BigInt(from);
      const events = await this.readEvents(
        stream,
        { direction: backwards ? BACKWARDS : FORWARDS, fromRevision: revision, maxCount },
        true,
      );
      return events.map(toRecordedEvent);
    } catch (error) {
      throw translateEsdbError(error, { stream });
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const backwards = options.direction === 'backwards';
    const limit = clampMaxCount(options.maxCount);
    const from = options.fromPosition ?? (backwards ? 'end' : 'start');
    const matches = eventMatcher(options.filter);
    // The client's readAll takes no server-side filter (only subscribeToAll does), so
    // `$all` is streamed and filtered here; the read stops as soon as `limit` events matched.
    try {
      let source: AsyncIterable<EsdbEvent>;
      if (!backwards) {
        if (from === 'end') return [];
        source = this.scanForwards(from === 'start' ? { cursor: START } : planStart(this.seen, from));
      } else {
        if (from === 'start') return [];
        // ESDB reads backwards from a position exclusively: start at the first event after p.
        const upper = from === 'end' ? undefined : await this.firstPositionAfter(from);
        source = this.scan(upper ?? END, BACKWARDS);
      }
      const found: RecordedEvent[] = [];
      for await (const event of source) {
        const recorded = toPortEvent(event);
        if (recorded === undefined || !matches(recorded)) continue;
        found.push(recorded);
        if (found.length >= limit) break;
      }
      return found;
    } catch (error) {
      throw translateEsdbError(error);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    const from = options.from;
    const matches = eventMatcher(options.filter);
    // Pinned now, not when iteration begins: "end" is the head when subscribeToAll() was called.
    const start: Promise<StartPlan> =
      from === 'start'
        ? Promise.resolve({ cursor: START })
        : from === 'end'
          ? this.afterNewestRecord()
          : Promise.resolve(planStart(this.seen, from.after + 1n));
    start.catch(() => undefined); // surfaced to the iterator, not as an unhandled rejection
    const serverFilter = toServerFilter(options.filter);
    const subscription: EsdbSubscription = new EsdbSubscription({
      start,
      open: (cursor) =>
        this.client.subscribeToAll({ fromPosition: cursor, filter: serverFilter, resolveLinkTos: false }),
      accept: (resolved: AllStreamResolvedEvent) => {
        const event = resolved.event as EsdbEvent | undefined;
        if (event?.position) this.seen.remember(event.position);
        const recorded = event && toPortEvent(event);
        return recorded && matches(recorded) ? recorded : undefined;
      },
      isTransient: isTransientEsdbError,
      mayBeInvalidPosition,
      translate: (error) => translateEsdbError(error),
      onStop: (stopped) => this.subscriptions.delete(stopped),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The newest event that is not ESDB's own (its system events never reach subscribers). */
  async headPosition(): Promise<bigint> {
    this.assertOpen();
    try {
      for await (const event of this.scan(END, BACKWARDS)) {
        if (!isSystemEvent(event)) return event.position!.prepare;
      }
      return 0n;
    } catch (error) {
      throw translateEsdbError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.appendsInFlight]);
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  /**
   * Idempotency. ESDB itself returns success without writing when the same ids
   * are appended again (exactly, for an expected revision; within its cache of
   * recent ids, for `any`) but does not say whether it wrote. So:
   * 1. Before writing, look for the ids among the stream's newest events (and
   *    where they would sit): all there in order is a retry, answered from the
   *    stream; only some is `DuplicateEventIdError`.
   * 2. Every event carries this attempt's id in its metadata, so after a success
   *    the last event shows who wrote it: another attempt means ESDB recognised a
   *    retry that raced past step 1 (`duplicate: true`), ours means we wrote.
   * The same read gives the last event's position, which the append answer does not.
   * Limits, the port's "within its idempotency window": an earlier copy older than
   * the checked window and evicted from ESDB's cache is written again, and reuse in
   * another stream is caught only for ids in `recentIds` (ESDB has no index by id).
   */
  private async appendOnce(
    stream: string,
    events: readonly EventToAppend[],
    serialized: readonly SerializedEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const ids = serialized.map((event) => event.id);
    try {
      if (ids.some((id) => (this.recentIds.get(id) ?? stream) !== stream))
        throw new DuplicateEventIdError(stream);
      const earlier = await this.findEarlierAppend(stream, ids);
      if (earlier) return this.remembered(stream, ids, earlier);
      const attempt = randomUUID();
      const proposed = events.map((event, index) =>
        jsonEvent({
          id: ids[index]!,
          type: event.type,
          data: event.data as JSONType,
          metadata: { ...event.metadata, [ATTEMPT_KEY]: attempt },
        }),
      );
      let nextExpectedRevision: bigint;
      try {
        ({ nextExpectedRevision } = await this.client.appendToStream(stream, proposed, {
          expectedRevision: toEsdbExpectedRevision(expected),
        }));
      } catch (error) {
        // A partial re-append comes back as WrongExpectedVersion, and a write without
        // an answer may have happened: in both cases the stream says what is true.
        if (error instanceof EsdbWrongExpectedVersionError || isAppendOutcomeUnknown(error)) {
          const from = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : undefined;
          const found = await this.findEarlierAppend(stream, ids, { attempt, from }).catch((inspection) => {
            throw inspection instanceof DuplicateEventIdError ? inspection : error;
          });
          if (found) return this.remembered(stream, ids, found);
        }
        throw error;
      }
      const [last] = await this.readEvents(
        stream,
        { fromRevision: nextExpectedRevision, maxCount: 1 },
        false,
      );
      if (last?.position === undefined)
        throw new Error(`stream ${stream}: the appended events cannot be read back`);
      this.seen.remember(last.position);
      return this.remembered(stream, ids, {
        nextRevision: Number(nextExpectedRevision),
        position: last.position.prepare,
        duplicate: attemptOf(last) !== attempt,
      });
    } catch (error) {
      throw translateEsdbError(error, { stream, expected, events: serialized });
    }
  }

  /**
   * Finds where these ids were written before in this stream: undefined when
   * none of them was (in the newest events, or at revision `from`), the original
   * result when all were in this order, `DuplicateEventIdError` otherwise.
   * `attempt` tells our own unanswered write from someone else's.
   */
  private async findEarlierAppend(
    stream: string,
    ids: readonly string[],
    { attempt, from }: { attempt?: string; from?: number } = {},
  ): Promise<AppendResult | undefined> {
    const [newest, atExpectedPlace] = await Promise.all([
      this.readEvents(stream, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: RECENT_EVENTS_CHECKED + ids.length,
      }),
      from === undefined ? [] : this.readEvents(stream, { fromRevision: BigInt(from), maxCount: ids.length }),
    ]);
    const byId = new Map<string, EsdbEvent>();
    for (const event of [...newest, ...atExpectedPlace]) byId.set(event.id.toLowerCase(), event);
    const hit = ids.findIndex((id) => byId.has(id));
    if (hit < 0) return undefined;
    const first = byId.get(ids[hit]!)!.revision - BigInt(hit);
    if (first < 0n) throw new DuplicateEventIdError(stream);
    const span = await this.readEvents(stream, { fromRevision: first, maxCount: ids.length });
    if (span.length !== ids.length || span.some((event, index) => event.id.toLowerCase() !== ids[index]))
      throw new DuplicateEventIdError(stream);
    const last = span[span.length - 1]!;
    return {
      nextRevision: Number(last.revision),
      position: last.position!.prepare,
      duplicate: attempt === undefined || attemptOf(last) !== attempt,
    };
  }

  private remembered(stream: string, ids: readonly string[], result: AppendResult): AppendResult {
    for (const id of ids) {
      this.recentIds.delete(id);
      this.recentIds.set(id, stream);
    }
    for (const oldest of this.recentIds.keys()) {
      if (this.recentIds.size <= RECENT_IDS_KEPT) break;
      this.recentIds.delete(oldest);
    }
    return result;
  }

  /** An empty append checks the expectation and writes nothing, as on the SQL engines. */
  private async appendNothing(stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    try {
      const [last] = await this.readEvents(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      const actual = last ? Number(last.revision) : 'no_stream';
      if (!expectationHeld(expected, actual)) throw new WrongExpectedVersionError(stream, expected, actual);
      return {
        nextRevision: last ? Number(last.revision) : -1,
        position: await this.headPosition(),
        duplicate: false,
      };
    } catch (error) {
      throw translateEsdbError(error, { stream, expected });
    }
  }

  /** One stream's events as the client returns them; a missing stream is empty unless `mustExist`. */
  private async readEvents(
    stream: string,
    options: { direction?: Direction; fromRevision: ReadRevision; maxCount: number },
    mustExist = false,
  ): Promise<EsdbEvent[]> {
    const events: EsdbEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, { ...options, resolveLinkTos: false })) {
        if (resolved.event) events.push(resolved.event);
      }
    } catch (error) {
      if (!mustExist && error instanceof EsdbStreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /** `$all` from a cursor, every record kind included; stops the server-side read when the caller stops. */
  private async *scan(cursor: ReadPosition, direction: Direction): AsyncGenerator<EsdbEvent> {
    const read = this.client.readAll({ fromPosition: cursor, direction, resolveLinkTos: false });
    try {
      for await (const resolved of read as AsyncIterable<AllStreamResolvedEvent>) {
        const event = resolved.event as EsdbEvent | undefined;
        if (event?.position === undefined) continue;
        if (direction === FORWARDS) this.seen.remember(event.position);
        yield event;
      }
    } finally {
      // Stops the server streaming the rest; must not hide the error that ended the read.
      await read.cancel().catch(() => undefined);
    }
  }

  /** `$all` forwards from a start plan, falling back when ESDB rejects the cursor as mid-record. */
  private async *scanForwards(plan: StartPlan): AsyncGenerator<EsdbEvent> {
    let { cursor, fallback } = plan;
    for (;;) {
      let received = false;
      try {
        for await (const event of this.scan(cursor, FORWARDS)) {
          received = true;
          if (plan.min === undefined || event.position!.prepare >= plan.min) yield event;
        }
        return;
      } catch (error) {
        if (received || fallback === undefined || !mayBeInvalidPosition(error)) throw error;
        cursor = fallback;
        fallback = undefined;
      }
    }
  }

  private async firstPositionAfter(position: bigint): Promise<Position | undefined> {
    for await (const event of this.scanForwards(planStart(this.seen, position + 1n))) return event.position;
    return undefined;
  }

  /** Starts a subscription after the newest record of any kind, so that nothing later is missed. */
  private async afterNewestRecord(): Promise<StartPlan> {
    try {
      for await (const event of this.scan(END, BACKWARDS)) {
        return { cursor: event.position!, min: event.position!.prepare + 1n };
      }
      return { cursor: START };
    } catch (error) {
      throw translateEsdbError(error);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return BigInt(expected);
}

function isSystemEvent(event: EsdbEvent): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/**
 * Server-side, the client filters on one thing only: stream prefixes when given
 * (the narrower filter for this port's callers), else event types by prefix, else
 * just system events out. `eventMatcher` then applies the whole filter exactly.
 */
function toServerFilter(filter: EventFilter | undefined): Filter {
  if (filter?.streamPrefixes?.length) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  if (filter?.eventTypes?.length) return eventTypeFilter({ prefixes: [...filter.eventTypes] });
  return excludeSystemEvents();
}

function eventMatcher(filter: EventFilter | undefined): (event: RecordedEvent) => boolean {
  const prefixes = filter?.streamPrefixes ?? [];
  const types = new Set(filter?.eventTypes ?? []);
  return (event) =>
    (prefixes.length === 0 || prefixes.some((prefix) => event.stream.startsWith(prefix))) &&
    (types.size === 0 || types.has(event.type));
}

/** An event of `$all` as the port sees it: ESDB's own (system) events are left out. */
function toPortEvent(event: EsdbEvent): RecordedEvent | undefined {
  return isSystemEvent(event) ? undefined : toRecordedEvent(event);
}

function toRecordedEvent(event: EsdbEvent): RecordedEvent {
  if (event.position === undefined)
    throw new Error('EventStoreDB 22.6 or later is required: this server reads events without positions');
  return {
    stream: event.streamId,
    revision: Number(event.revision),
    position: event.position.prepare,
    id: event.id.toLowerCase(),
    type: event.type,
    data: toJson(event.data, event.isJson),
    metadata: userMetadata(event.metadata),
    createdAt: event.created,
  };
}

/** This engine writes JSON only; another writer's binary event is parsed if it is JSON, else kept as text. */
function toJson(data: unknown, isJson: boolean): JsonValue {
  if (isJson || !(data instanceof Uint8Array)) return data as JsonValue;
  const text = Buffer.from(data).toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function userMetadata(metadata: unknown): JsonObject {
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    Array.isArray(metadata) ||
    metadata instanceof Uint8Array
  )
    return {};
  const { [ATTEMPT_KEY]: _attempt, ...rest } = metadata as JsonObject;
  return rest;
}

function attemptOf(event: EsdbEvent): unknown {
  const metadata = event.metadata as Record<string, unknown> | undefined;
  return typeof metadata === 'object' && metadata !== null ? metadata[ATTEMPT_KEY] : undefined;
}
