import type { Logger } from '../../infra/logging/logger.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import { PositionWaiters } from './position-waiters.js';

/** The channel the projecting process notifies after each committed batch; the payload is a position. */
export const CHECKPOINTS_CHANNEL = 'parley_checkpoints';
/** While someone waits, the checkpoints are re-read this often in case a notification was missed. */
const DEFAULT_POLL_MS = 1_000;

/**
 * The lowest checkpoint of `names`, leaving out projections held back by an event
 * they keep failing on (they would hold every read up for their whole backoff);
 * 0 while one of them has no checkpoint row yet.
 */
export async function readLowestCheckpoint(db: SqlExecutor, names: readonly string[]): Promise<bigint> {
  if (names.length === 0) return 0n;
  const [row] = await db.query<{ present: number; lowest: string | number | null }>(
    `select count(*)::int as present, min(position) filter (where held_back_since is null) as lowest
       from projection_checkpoints where name = any($1::text[])`,
    [names],
  );
  if (!row || row.present < names.length || row.lowest === null) return 0n;
  return BigInt(row.lowest);
}

function parsePosition(payload: string | null): bigint | undefined {
  if (payload === null || !/^\d{1,20}$/.test(payload)) return undefined;
  return BigInt(payload);
}

export interface CheckpointWatcherOptions {
  sql: SqlClient;
  /** The projections a write must have reached: the ones this process's features register. */
  names: readonly string[];
  logger?: Logger;
  /** Defaults to 1 s. */
  pollMs?: number;
}

/**
 * Read-your-writes for a process that does not run the projections itself (an `api`
 * or `realtime` replica, or a standby projector): resolves a wait once the
 * checkpoints committed in `projection_checkpoints`, by whichever process runs the
 * projections, reach the position.
 *
 * Woken by NOTIFY on `parley_checkpoints`, sent after each committed batch; while
 * anyone waits it also re-reads every `pollMs`, so a missed notification (a listener
 * reconnecting, a pooler that drops LISTEN) costs a delay, never a wrong answer. A
 * notification is only a wake-up: the answer always comes from the table (or from
 * `advanced`, when this process commits the batches itself), because the notifying
 * process may run a different set of projections (a rolling deploy).
 */
export class CheckpointWatcher {
  private readonly waiters = new PositionWaiters();
  private readonly pollMs: number;
  private reached = 0n;
  /** The newest position a notification announced: a hint that the table is worth reading. */
  private notified = 0n;
  private waiting = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private unlisten: (() => Promise<void>) | undefined;
  private running = false;

  constructor(private readonly options: CheckpointWatcherOptions) {
    this.pollMs = Math.max(10, options.pollMs ?? DEFAULT_POLL_MS);
  }

  /** Listens for notifications and reads the checkpoints once. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unlisten = await this.options.sql.listen(CHECKPOINTS_CHANNEL, (payload) => {
      const position = parsePosition(payload);
      if (position !== undefined && position > this.notified) this.notified = position;
      if (this.waiting > 0) this.refresh();
    });
    this.advanced(await readLowestCheckpoint(this.options.sql, this.options.names));
  }

  /** Every projection is known to be at `position` or beyond (this process just committed it). */
  advanced(position: bigint): void {
    if (position > this.reached) this.reached = position;
    this.waiters.reached(this.reached);
  }

  /** True once every projection has committed `position`; false after `timeoutMs` or on `stop()`. */
  waitForPosition(position: bigint, timeoutMs = 5_000): Promise<boolean> {
    if (this.reached >= position) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    this.waiting += 1;
    this.startPolling();
    // The batch may have committed (and notified) before anyone waited for it.
    if (this.notified >= position) this.refresh();
    return this.waiters.wait(position, timeoutMs).finally(() => {
      this.waiting -= 1;
      if (this.waiting === 0) this.stopPolling();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopPolling();
    this.waiters.cancelAll();
    await this.unlisten?.();
    this.unlisten = undefined;
    await this.refreshing;
  }

  /** One read at a time; notifications that arrive meanwhile fold into one more read after it. */
  private refresh(): void {
    if (!this.running) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = readLowestCheckpoint(this.options.sql, this.options.names)
      .then(
        (position) => this.advanced(position),
        (error: unknown) => this.options.logger?.warn({ err: error }, 'checkpoints not read; will retry'),
      )
      .finally(() => {
        this.refreshing = undefined;
        if (this.refreshAgain && this.waiting > 0) {
          this.refreshAgain = false;
          this.refresh();
        }
      });
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => this.refresh(), this.pollMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }
}

/**
 * Tells the other processes that checkpoints moved: one NOTIFY after a commit, and
 * while one is on its way, later positions fold into a single next one.
 */
export class CheckpointNotifier {
  private sending: Promise<void> | undefined;
  private next: bigint | undefined;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly logger?: Logger,
  ) {}

  notify(position: bigint): void {
    if (this.sending) {
      if (this.next === undefined || position > this.next) this.next = position;
      return;
    }
    this.sending = this.sql
      .query('select pg_notify($1, $2)', [CHECKPOINTS_CHANNEL, position.toString()])
      .then(
        () => undefined,
        // Listeners also poll: a lost notification delays them, it does not break them.
        (error: unknown) => this.logger?.warn({ err: error }, 'checkpoint notification not sent'),
      )
      .finally(() => {
        this.sending = undefined;
        const next = this.next;
        this.next = undefined;
        if (next !== undefined) this.notify(next);
      });
  }

  /** Resolves once the notification on its way (if any) is sent. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }
}
