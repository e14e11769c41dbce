import type { MembershipSnapshot } from './hub.js';

export interface MembershipChange {
  userId: string;
  conversationId: string;
  joined: boolean;
  position: bigint;
}

/** Joins and leaves are rare next to messages: this many is hours of a busy node's changes, a few MB. */
const DEFAULT_CAPACITY = 100_000;

/**
 * The membership changes the fan-out applied, in log order, for every user
 * (connected or not), since it started. With it a new connection need not wait
 * for the read models to reach the fan-out: a snapshot from a read model that
 * lags is brought forward with the changes it has not seen yet. Bounded: the
 * oldest changes are forgotten, and a snapshot older than what is kept must wait.
 */
export class MembershipJournal {
  private readonly changes: MembershipChange[] = [];
  private readonly byUser = new Map<string, MembershipChange[]>();
  /** Every change after this position is kept. */
  private keptAfter: bigint;

  constructor(
    startPosition: bigint,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {
    this.keptAfter = startPosition;
  }

  record(change: MembershipChange): void {
    this.changes.push(change);
    const ofUser = this.byUser.get(change.userId);
    if (ofUser) ofUser.push(change);
    else this.byUser.set(change.userId, [change]);
    if (this.changes.length > this.capacity) this.forgetOldest(Math.ceil(this.capacity / 10));
  }

  /**
   * `snapshot` as it stands at `position`, or undefined when changes it would
   * need were never kept (it is older than the fan-out's start, or than the
   * oldest change still kept).
   */
  bringForward(
    userId: string,
    snapshot: MembershipSnapshot,
    position: bigint,
  ): MembershipSnapshot | undefined {
    if (snapshot.position >= position) return snapshot;
    if (snapshot.position < this.keptAfter) return undefined;
    const conversationIds = new Set(snapshot.conversationIds);
    for (const change of this.byUser.get(userId) ?? []) {
      if (change.position <= snapshot.position || change.position > position) continue;
      if (change.joined) conversationIds.add(change.conversationId);
      else conversationIds.delete(change.conversationId);
    }
    return { conversationIds: [...conversationIds], position };
  }

  /**
   * Forgets a slice of the oldest changes at once: one splice per slice keeps a
   * change's cost constant, where a shift per change would move the whole full
   * journal (hundreds of KB) every time.
   */
  private forgetOldest(count: number): void {
    const forgotten = this.changes.splice(0, count);
    for (const change of forgotten) {
      const ofUser = this.byUser.get(change.userId)!;
      ofUser.shift();
      if (ofUser.length === 0) this.byUser.delete(change.userId);
    }
    // Log order: the last forgotten is the newest. Changes at its position may
    // still be kept, but not all of them need be.
    const newest = forgotten[forgotten.length - 1]!;
    if (newest.position > this.keptAfter) this.keptAfter = newest.position;
  }
}
