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
    if (this.changes.length > this.capacity) this.forgetOldest();
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

  private forgetOldest(): void {
    const oldest = this.changes.shift()!;
    const ofUser = this.byUser.get(oldest.userId)!;
    ofUser.shift();
    if (ofUser.length === 0) this.byUser.delete(oldest.userId);
    // Changes at this position may still be kept, but not all of them need be.
    if (oldest.position > this.keptAfter) this.keptAfter = oldest.position;
  }
}
