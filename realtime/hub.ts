import type { Connection } from './connection.js';

import type { MembershipSnapshot } from '../readmodels/conversations/membership.query.js';

export type { MembershipSnapshot };

interface MembershipChange {
  conversationId: string;
  joined: boolean;
  position: bigint;
}

/**
 * A user with at least one connection on this node. `conversations` maps each
 * conversation to the position after which its events reach the user: the
 * snapshot's position for what was loaded, the join event's for a later join.
 */
interface LocalUser {
  connections: Set<Connection>;
  conversations: Map<string, bigint>;
  /** Membership changes seen while the snapshot loads; null once it is applied. */
  pending: MembershipChange[] | null;
  ready: Promise<void>;
}

/**
 * The local hub: which sockets of which users are on this node, and which
 * conversations those users are members of. It knows nothing of how events
 * arrive; the fan-out feeds it membership changes in log order and asks it for
 * recipients. Users with no connection here are not tracked at all.
 */
export class Hub {
  private readonly users = new Map<string, LocalUser>();
  /** conversationId → local users who are members: the fan-out's index. */
  private readonly members = new Map<string, Set<string>>();

  /**
   * Adds a connection. The user's first connection loads the membership
   * snapshot; changes the log delivers meanwhile are kept and replayed on top of
   * it (those past the snapshot's position), so nothing falls between. Resolves
   * when the connection receives frames.
   */
  attach(connection: Connection, loadSnapshot: () => Promise<MembershipSnapshot>): Promise<void> {
    const existing = this.users.get(connection.userId);
    if (existing) {
      existing.connections.add(connection);
      return existing.ready;
    }
    const user: LocalUser = {
      connections: new Set([connection]),
      conversations: new Map(),
      pending: [],
      ready: Promise.resolve(),
    };
    this.users.set(connection.userId, user);
    user.ready = loadSnapshot().then((snapshot) => this.applySnapshot(connection.userId, user, snapshot));
    // A failed load is the caller's to report; the entry must not stay half-built.
    user.ready.catch(() => {
      if (this.users.get(connection.userId) === user) this.users.delete(connection.userId);
    });
    return user.ready;
  }

  detach(connection: Connection): void {
    const user = this.users.get(connection.userId);
    if (!user?.connections.delete(connection) || user.connections.size > 0) return;
    this.users.delete(connection.userId);
    for (const conversationId of user.conversations.keys()) this.unindex(conversationId, connection.userId);
  }

  /** Applies a join or leave from the log (in log order); ignored for users not on this node. */
  changeMembership(userId: string, conversationId: string, joined: boolean, position: bigint): void {
    const user = this.users.get(userId);
    if (!user) return;
    if (user.pending) user.pending.push({ conversationId, joined, position });
    else this.apply(userId, user, { conversationId, joined, position });
  }

  isMember(userId: string, conversationId: string): boolean {
    const user = this.users.get(userId);
    return user?.pending === null && user.conversations.has(conversationId);
  }

  /**
   * The connections an event of this conversation at `position` goes to. An
   * array, not a generator: it runs for every event, and resuming a generator
   * per connection costs more than the fan-out around it.
   */
  recipients(conversationId: string, position: bigint): Connection[] {
    const found: Connection[] = [];
    const members = this.members.get(conversationId);
    if (!members) return found;
    for (const userId of members) {
      const user = this.users.get(userId);
      const since = user?.conversations.get(conversationId);
      if (!user || since === undefined || position <= since) continue;
      for (const connection of user.connections) found.push(connection);
    }
    return found;
  }

  /** Every connection here of a user who is a member of the conversation now (ephemeral signals). */
  *localConnections(conversationId: string): Generator<Connection> {
    for (const userId of this.members.get(conversationId) ?? []) {
      const user = this.users.get(userId);
      if (user?.conversations.has(conversationId)) yield* user.connections;
    }
  }

  connectionsOf(userId: string): Iterable<Connection> {
    return this.users.get(userId)?.connections ?? [];
  }

  hasLocalMembers(conversationId: string): boolean {
    return (this.members.get(conversationId)?.size ?? 0) > 0;
  }

  connections(): Connection[] {
    return [...this.users.values()].flatMap((user) => [...user.connections]);
  }

  private applySnapshot(userId: string, user: LocalUser, snapshot: MembershipSnapshot): void {
    if (this.users.get(userId) !== user) return; // every connection left while it loaded
    for (const conversationId of snapshot.conversationIds) {
      user.conversations.set(conversationId, snapshot.position);
      this.index(conversationId, userId);
    }
    const pending = user.pending ?? [];
    user.pending = null;
    // What the snapshot already reflects is skipped; what came after it is applied in order.
    for (const change of pending) if (change.position > snapshot.position) this.apply(userId, user, change);
  }

  private apply(userId: string, user: LocalUser, change: MembershipChange): void {
    if (change.joined) {
      // The join event itself is delivered to the new member: `since` is just before it.
      if (!user.conversations.has(change.conversationId))
        user.conversations.set(change.conversationId, change.position - 1n);
      this.index(change.conversationId, userId);
    } else {
      user.conversations.delete(change.conversationId);
      this.unindex(change.conversationId, userId);
    }
  }

  private index(conversationId: string, userId: string): void {
    const members = this.members.get(conversationId);
    if (members) members.add(userId);
    else this.members.set(conversationId, new Set([userId]));
  }

  private unindex(conversationId: string, userId: string): void {
    const members = this.members.get(conversationId);
    members?.delete(userId);
    if (members?.size === 0) this.members.delete(conversationId);
  }
}
