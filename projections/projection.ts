import type { RecordedEvent } from '../infra/eventstore/event-store.js';
import type { Migration } from '../infra/sql/migrate.js';
import type { SqlExecutor } from '../infra/sql/sql-client.js';

/**
 * A projection turns events into read-model rows. The runner calls `apply` inside
 * a transaction that also stores the projection's checkpoint, so each event's
 * effect is committed exactly once (a crash rolls back both).
 */
export interface Projection {
  /** Stable name: the key of its checkpoint and of its parked events. */
  readonly name: string;
  /** Bumped when its tables or logic change in a way that needs a rebuild. */
  readonly version: number;
  /** The event types it handles; others only move its checkpoint. */
  readonly eventTypes: readonly string[];
  /** Its tables, created at start (idempotent, safe with several instances). */
  readonly migrations: readonly Migration[];
  /**
   * Every table its migrations create, unqualified: what a rebuild builds anew in a
   * schema of its own and then swaps in. Empty or missing when its state lives
   * outside the read-model database: then it cannot be rebuilt that way (see
   * `rebuildTarget`).
   */
  readonly tables?: readonly string[];
  /**
   * For a projection whose state lives outside the read-model database (no
   * `tables`): makes an empty next version of that state beside the live one, for
   * a rebuild to fill from the start of the log and then swap in. Missing when the
   * store cannot hold two versions side by side: then the projection cannot be rebuilt.
   */
  rebuildTarget?(): Promise<RebuildTarget>;
  /**
   * Applies one event. Events arrive in global position order; the event's data
   * is as stored (use the domain registry's `decodeEvent` to get the current shape).
   */
  apply(tx: SqlExecutor, event: RecordedEvent): Promise<void>;
  /**
   * Optional fast path: applies several events (in position order, all of types it
   * handles) with the same effect as `apply` on each in turn, in fewer statements.
   * The runner uses it for whole batches; when one fails it splits the batch until
   * the failing event is alone, which then goes to `apply`.
   */
  applyBatch?(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void>;
}

/**
 * The next version of a projection's external state (an Elasticsearch index),
 * built while the live one keeps serving. Its writes cannot share the rebuild's
 * SQL transactions: they must be idempotent by (stream, revision), since the
 * rebuild may apply an event to it more than once.
 */
export interface RebuildTarget {
  /** Same name and events as the live projection; writes to the next version only. */
  readonly projection: Projection;
  /** Makes the next version the live one, atomically for readers, and drops the old one. */
  promote(): Promise<void>;
  /** Drops the next version (a failed or stopped rebuild): the live one is untouched. */
  discard(): Promise<void>;
}
