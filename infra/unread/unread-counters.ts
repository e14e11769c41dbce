/**
 * The unread counters port: per conversation the newest message's seq, per member
 * a read seq, and `unreadCount = max(0, lastSeq − readSeq)` computed when read.
 * Engines: Redis (shared by every node) and in process (embedded mode). One
 * conformance suite (`unread-counters.conformance.ts`) holds both to this contract.
 *
 * The sink cannot share a transaction with anything, so every write is guarded
 * instead: each change names the stream revision it comes from, and a change at
 * or below the last revision applied for that stream is ignored. Replaying, or
 * re-delivering any event in any order, therefore changes nothing; applied in
 * global order the first time, the counters equal the Postgres read model's.
 */
export interface UnreadCounters {
  /** Which engine this is, for logs. */
  readonly engine: 'redis';

  /**
   * Applies `changes` in order, each atomically, each at most once (see
   * `UnreadChange.revision`), then moves the checkpoint to `position` unless it is
   * already there or beyond. Not atomic as a whole: a failure part way leaves some
   * changes applied and the checkpoint where it was, and applying the same
   * changes again completes the batch without applying any twice.
   */
  apply(changes: readonly UnreadChange[], position: bigint): Promise<void>;

  /** A member's counters, or null when `userId` is not (or no longer) a member of the conversation. */
  readState(userId: string, conversationId: string): Promise<UnreadState | null>;

  /** The global position of the newest event applied (0n before any): where a projector resumes. */
  checkpoint(): Promise<bigint>;

  /** Drops every counter and the checkpoint (before a rebuild from position 0). */
  clear(): Promise<void>;

  close(): Promise<void>;
}

export interface UnreadState {
  lastSeq: number;
  readSeq: number;
  /** `max(0, lastSeq − readSeq)`, as the Postgres read model computes it. */
  unreadCount: number;
}

/**
 * What one event does to a conversation's counters. The effects apply in the
 * order of the fields below.
 */
export interface UnreadChange {
  conversationId: string;
  /** The stream the event came from: a conversation's stream and its receipts stream are guarded apart. */
  stream: 'conversation' | 'receipts';
  /** The event's revision in that stream; changes at or below the last applied revision are ignored. */
  revision: number;
  /** The conversation starts, with `lastSeq` 0. */
  created?: boolean;
  /** A message: `lastSeq` rises to this (never falls). */
  lastSeq?: number;
  /** Members who join, or join again: their read seq starts at 0 (nothing of an earlier membership is kept). */
  joined?: readonly string[];
  /** Members who leave: their counters go away. */
  left?: readonly string[];
  /** A read marker rises to `seq` (never falls); ignored for someone who is not a member. */
  read?: { userId: string; seq: number };
}

export function unreadCountOf(lastSeq: number, readSeq: number): number {
  return Math.max(0, lastSeq - readSeq);
}
