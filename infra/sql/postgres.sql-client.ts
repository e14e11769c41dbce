import type pg from 'pg';
import pgPromise, { type ITask } from 'pg-promise';
import { encodeArrays } from './array-literal.js';
import { isQueryTimeout, type SqlClient, type SqlExecutor } from './sql-client.js';

// pg-promise wants one library instance per process; every database object comes from it.
const pgp = pgPromise({
  noWarnings: true,
  // Inside a task or transaction: the first statement that ran out of time kills its
  // connection, so the rollback that follows fails at once instead of waiting out a
  // second timeout, and the pool drops the connection instead of lending it again.
  error(error, context) {
    if (isQueryTimeout(error)) destroyConnection(context.client as unknown as pg.Client | undefined);
  },
});
// bigint (int8) stays a string, the lossless choice; callers convert with BigInt().

/**
 * How long any statement may go unanswered by default. A black-holed connection (a
 * stalled network, a frozen server) never answers and TCP takes hours to notice:
 * without this deadline a command would wait forever. `?query_timeout=<ms>` in the
 * connection string overrides it (pg reads the URL's parameters).
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export interface PostgresClientOptions {
  connectionString: string;
  /** Pool size. Defaults to 10. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** See `DEFAULT_QUERY_TIMEOUT_MS`; the connection string's `query_timeout` wins. */
  queryTimeoutMs?: number;
}

/**
 * Closes a connection whose statement timed out: the statement is still on its way,
 * so the connection cannot serve another one until it answers, if ever.
 */
function destroyConnection(client: pg.Client | undefined): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } } | undefined)
    ?.connection?.stream;
  stream?.destroy();
}

type PgpDatabase = ReturnType<typeof pgp>;
type PgpTask = ITask<unknown>;

function executor(db: PgpDatabase | PgpTask): SqlExecutor {
  return {
    async query<Row>(text: string, values: readonly unknown[] = []) {
      return db.any<Row>({ text, values: encodeArrays(values) });
    },
    async exec(text: string) {
      await db.multi(text);
    },
  };
}

/** A pooled PostgreSQL client through pg-promise. */
export function createPostgresClient(options: PostgresClientOptions): SqlClient {
  const db = pgp({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'parley',
    // A query that cannot get a connection must fail, not wait forever.
    connectionTimeoutMillis: 10_000,
    query_timeout: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    keepAlive: true,
  });
  // Straight pool queries hand their error to the pool, which drops the connection;
  // closing it politely would wait on the same silent peer, so it is cut instead.
  (db.$pool as unknown as pg.Pool).on('release', (error: Error | undefined, client: pg.PoolClient) => {
    if (isQueryTimeout(error)) destroyConnection(client);
  });
  // The server may close an idle connection (a restart; a test dropping its database right
  // after close()): the pool reports it as an 'error' event. pg-promise stops listening
  // once the pool ends, and an 'error' event with no listener crashes the process. The
  // pool has already dropped the connection; there is nothing else to do.
  (db.$pool as unknown as pg.Pool).on('error', () => undefined);
  const listeners = new Set<{ stop(): Promise<void> }>();

  return {
    engine: 'postgres',
    // Straight to pg's pool: pg-promise's per-query machinery costs about 0.3 ms
    // (select 1: 416 µs against 82 µs on this machine), which the append path cannot afford.
    async query<Row>(text: string, values: readonly unknown[] = []) {
      const result = await (db.$pool as unknown as pg.Pool).query({ text, values: values as unknown[] });
      return result.rows as Row[];
    },
    async exec(text: string) {
      await db.multi(text);
    },
    transaction: (work) => db.tx((t) => work(executor(t))),
    async listen(channel, onNotify) {
      const listener = new NotificationListener(db, channel, onNotify);
      listeners.add(listener);
      await listener.start();
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.stop()));
      await db.$pool.end();
    },
  };
}

/**
 * LISTEN needs one connection of its own that stays open. When it breaks (a
 * database restart, a network cut) it reconnects with backoff and tells the
 * listener that notifications may have been missed.
 */
class NotificationListener {
  private connection: Awaited<ReturnType<PgpDatabase['connect']>> | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly db: PgpDatabase,
    private readonly channel: string,
    private readonly onNotify: (payload: string | null) => void,
  ) {}

  async start(): Promise<void> {
    this.connection = await this.db.connect({
      direct: true,
      onLost: () => {
        this.connection = undefined;
        this.scheduleReconnect();
      },
    });
    this.connection.client.on('notification', (message: { channel: string; payload?: string }) => {
      if (message.channel === this.channel) this.onNotify(message.payload ?? null);
    });
    await this.connection.none('LISTEN $1:name', [this.channel]);
    this.failures = 0;
    // Stopped while connecting (a reconnect racing a shutdown): the connection would
    // outlive its pool and be cut when the database goes away.
    if (this.stopped) await this.release();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(100 * 2 ** this.failures, 5_000);
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      void this.start().then(
        () => this.onNotify(null),
        async () => {
          const broken = this.connection;
          this.connection = undefined;
          await broken?.done(true);
          this.scheduleReconnect();
        },
      );
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.release();
  }

  private async release(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    try {
      await connection.none('UNLISTEN $1:name', [this.channel]);
    } catch {
      // The connection is going away anyway.
    }
    await connection.done(true);
  }
}
