import {
  DuplicateEventIdError,
  EventStoreClosedError,
  EventStoreUnavailableError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../event-store.errors.js';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
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
} from '../validate-append.js';
import { migrate } from '../../sql/migrate.js';
import { isConnectionError, type SqlClient } from '../../sql/sql-client.js';
import {
  AppendBatcher,
  type AppendBatcherOptions,
  type BatchItemResult,
  type PendingAppend,
} from './append-batcher.js';
import { HeadWatcher } from './head-watcher.js';
import { EVENTS_CHANNEL, eventStoreMigrations } from './sql-event-store.schema.js';
import { SqlSubscription } from './sql-subscription.js';

export interface SqlEventStoreOptions extends AppendBatcherOptions {
  maxEventBytes?: number;
  /**
   * Test hook: how long each append keeps its transaction open after writing,
   * to prove that late commits are never skipped. Never set in production.
   */
  holdInsideTransactionMs?: () => number;
  /** Called last by `close()`, e.g. to close a SQL client the store owns. */
  onClose?: () => Promise<void>;
}

interface EventRow {
  position: string | number;
  stream_name: string;
  revision: string | number;
  event_id: string;
  type: string;
  data: JsonValue;
  metadata: JsonObject;
  created_at: Date;
}

/** Events after a position, and how far the read looked (see `SqlSubscriptionSource`). */
interface Page {
  events: RecordedEvent[];
  scannedTo: bigint;
}

const COLUMNS = 'position, stream_name, revision, event_id, type, data, metadata, created_at';
/**
 * Ids, datas and metadatas go as one text each, joined by U+0001, and are split
 * back into the arrays `parley_append` takes. As array parameters the driver
 * would quote and escape every JSON text (two regex passes over each, and a copy),
 * a tenth of the server's allocations when it is busy. No value can hold the
 * separator: JSON.stringify escapes every control character, and ids are UUIDs.
 */
const APPEND_SQL =
  'select parley_append($1::text[], $2::text[], $3::int[], ' +
  'string_to_array($4, chr(1))::uuid[], $5::text[], string_to_array($6, chr(1)), string_to_array($7, chr(1)), $8::int) as results';
const SEPARATOR = '\u0001';

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    stream: row.stream_name,
    revision: Number(row.revision),
    position: BigInt(row.position),
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}

/**
 * The event store on PostgreSQL, server (pg-promise) or embedded (PGlite): one
 * code path, one SQL schema. See `sql-event-store.schema.ts` for why the global
 * order is safe for subscribers.
 */
export class SqlEventStore implements EventStore {
  readonly engine: 'postgres' | 'pglite';
  private readonly batcher: AppendBatcher;
  private readonly watcher = new HeadWatcher();
  private readonly subscriptions = new Set<Subscription>();
  private readonly pagesInFlight = new Map<string, Promise<Page>>();
  private readonly maxEventBytes: number;
  private unlisten: (() => Promise<void>) | undefined;
  private closed = false;

  private constructor(
    private readonly sql: SqlClient,
    private readonly options: SqlEventStoreOptions,
  ) {
    this.engine = sql.engine;
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.batcher = new AppendBatcher(
      (batch, holdMs) => this.translateErrors(() => this.sendBatch(batch, holdMs)),
      // PGlite has one connection: a second batch in flight would only queue behind the first.
      sql.engine === 'pglite' ? { ...options, maxInFlight: 1 } : options,
    );
  }

  /** Migrates the schema (safe with several instances starting at once) and starts listening for appends. */
  static async open(sql: SqlClient, options: SqlEventStoreOptions = {}): Promise<SqlEventStore> {
    await migrate(sql, 'eventstore', eventStoreMigrations);
    const store = new SqlEventStore(sql, options);
    store.unlisten = await sql.listen(EVENTS_CHANNEL, () => store.watcher.notify());
    return store;
  }

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
    const result = await this.batcher.submit({
      stream,
      expected: String(expected),
      events: serialized,
      bytes: serialized.reduce((sum, event) => sum + event.bytes, 0),
      holdMs: this.options.holdInsideTransactionMs?.() ?? 0,
    });
    if ('err' in result) {
      if (result.err === 'wrong_expected_version')
        throw new WrongExpectedVersionError(stream, expected, result.actual ?? 'no_stream');
      throw new DuplicateEventIdError(stream);
    }
    return { nextRevision: Number(result.r), position: BigInt(result.p), duplicate: result.dup === true };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertValidStreamName(stream);
    const backwards = options.direction === 'backwards';
    const limit = clampMaxCount(options.maxCount);
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    const bound = from === 'start' ? 0 : from === 'end' ? Number.MAX_SAFE_INTEGER : from;
    const rows = await this.translateErrors(() =>
      this.sql.query<EventRow>(
        `select ${COLUMNS} from es_events
          where stream_name = $1 and revision ${backwards ? '<=' : '>='} $2::bigint
          order by revision ${backwards ? 'desc' : 'asc'} limit $3`,
        [stream, String(bound), limit],
      ),
    );
    if (rows.length === 0) {
      const exists = await this.translateErrors(() =>
        this.sql.query('select 1 from es_events where stream_name = $1 limit 1', [stream]),
      );
      if (exists.length === 0) throw new StreamNotFoundError(stream);
    }
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const backwards = options.direction === 'backwards';
    const limit = clampMaxCount(options.maxCount);
    const from = options.fromPosition ?? (backwards ? 'end' : 'start');
    const bound = from === 'start' ? 0n : from === 'end' ? BigInt(Number.MAX_SAFE_INTEGER) : from;
    const values: unknown[] = [bound.toString(), limit];
    const where = [
      `position ${backwards ? '<=' : '>='} $1::bigint`,
      ...filterClauses(options.filter, values),
    ];
    const rows = await this.translateErrors(() =>
      this.sql.query<EventRow>(
        `select ${COLUMNS} from es_events where ${where.join(' and ')}
          order by position ${backwards ? 'desc' : 'asc'} limit $2`,
        values,
      ),
    );
    return rows.map(toRecordedEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    const from = options.from;
    const start =
      from === 'start'
        ? Promise.resolve(0n)
        : from === 'end'
          ? this.headPosition()
          : Promise.resolve(from.after);
    const subscription = new SqlSubscription(
      {
        watcher: this.watcher,
        readPage: (after, limit, filter) => this.readPageShared(after, limit, filter),
      },
      start,
      options.filter,
    );
    this.subscriptions.add(subscription);
    const stop = subscription.stop.bind(subscription);
    subscription.stop = async () => {
      this.subscriptions.delete(subscription);
      await stop();
    };
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    const rows = await this.translateErrors(() =>
      this.sql.query<{ position: string | number }>(
        'select coalesce(max(position), 0) as position from es_events',
      ),
    );
    return BigInt(rows[0]?.position ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.batcher.drain();
    await this.unlisten?.();
    await this.options.onClose?.();
  }

  /**
   * The subscriptions one notification wakes ask for the same page in the same
   * turn (a node runs several: projections, unread counters, the fan-out); one
   * query answers them all, and they share its events. Keyed by the watcher's
   * generation too: a caller whose ticket is newer than a notification never
   * gets a read that started before it, so no wake-up is lost.
   */
  private readPageShared(after: bigint, limit: number, filter: EventFilter | undefined): Promise<Page> {
    const key = `${this.watcher.ticket()} ${after} ${limit} ${filter ? JSON.stringify(filter) : ''}`;
    const inFlight = this.pagesInFlight.get(key);
    if (inFlight) return inFlight;
    const page = this.readPageAfter(after, limit, filter).finally(() => this.pagesInFlight.delete(key));
    this.pagesInFlight.set(key, page);
    return page;
  }

  /**
   * One page for a subscription. The page and the head come from one statement,
   * so one snapshot: when the page is not full, nothing that matches the filter
   * lies between its last event and the head, and the reader may skip ahead.
   */
  private async readPageAfter(after: bigint, limit: number, filter: EventFilter | undefined): Promise<Page> {
    if (this.closed) throw new EventStoreClosedError();
    const values: unknown[] = [after.toString(), limit];
    const where = [
      'e.position > $1::bigint',
      'e.position <= h.position',
      ...filterClauses(filter, values, 'e.'),
    ];
    const rows = await this.sql.query<Partial<EventRow> & { head: string | number }>(
      `select h.position as head, page.* from (select coalesce(max(position), 0) as position from es_events) h
         left join lateral (
           select ${COLUMNS.split(', ')
             .map((column) => `e.${column}`)
             .join(', ')}
             from es_events e where ${where.join(' and ')}
            order by e.position limit $2) page on true`,
      values,
    );
    const events = rows.filter((row) => row.position !== null && row.position !== undefined) as EventRow[];
    const head = BigInt(rows[0]?.head ?? 0);
    return {
      events: events.map(toRecordedEvent),
      scannedTo: events.length < limit ? head : BigInt(events[events.length - 1]!.position),
    };
  }

  /** One call of `parley_append` for the whole batch, its events sent as parallel lists. */
  private async sendBatch(appends: PendingAppend[], holdMs: number): Promise<BatchItemResult[]> {
    const events = appends.flatMap((append) => append.events);
    const rows = await this.sql.query<{ results: BatchItemResult[] }>(APPEND_SQL, [
      appends.map((append) => append.stream),
      appends.map((append) => append.expected),
      appends.map((append) => append.events.length),
      events.map((event) => event.id).join(SEPARATOR),
      events.map((event) => event.type),
      events.map((event) => event.data).join(SEPARATOR),
      events.map((event) => event.metadata).join(SEPARATOR),
      holdMs,
    ]);
    return rows[0]!.results;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }

  private async translateErrors<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isConnectionError(error))
        throw new EventStoreUnavailableError(`the ${this.engine} event store is unreachable`, {
          cause: error,
        });
      throw error;
    }
  }
}

/** Adds the filter's conditions as parameters (never spliced into the SQL text). */
function filterClauses(filter: EventFilter | undefined, values: unknown[], alias = ''): string[] {
  const clauses: string[] = [];
  const prefixes = filter?.streamPrefixes ?? [];
  if (prefixes.length > 0) {
    const tests = prefixes.map((prefix) => {
      values.push(prefix);
      return `starts_with(${alias}stream_name, $${values.length})`;
    });
    clauses.push(`(${tests.join(' or ')})`);
  }
  const types = filter?.eventTypes ?? [];
  if (types.length > 0) {
    const placeholders = types.map((type) => {
      values.push(type);
      return `$${values.length}`;
    });
    clauses.push(`${alias}type in (${placeholders.join(', ')})`);
  }
  return clauses;
}
