import { ForbiddenError, ValidationError } from '../domain/errors.js';
import type { SignalBroker } from '../infra/broker/signal-broker.js';
import type { Logger } from '../infra/logging/logger.js';
import type { PresenceState, PresenceStore } from '../infra/presence/presence-store.js';
import type { Connection } from './connection.js';
import { presenceSignal, SignalChannel, type PresenceSignal } from './signals.schemas.js';

export interface PresenceDeps {
  store: PresenceStore;
  broker: SignalBroker;
  /** This process, as the store knows it. */
  nodeId: string;
  /** Which of `userIds` `userId` may watch (they share a conversation). */
  visibleTo: (userId: string, userIds: readonly string[]) => Promise<Set<string>>;
  logger: Logger;
  /** Wait after a user's last connection here closes before saying offline: a reconnect does not flap. */
  graceMs: number;
  /** How often this node renews its users' registrations (well inside the store's TTL). */
  renewMs: number;
  /** Users one connection may watch at once. */
  maxWatchedUsers: number;
  now?: () => Date;
}

/** One connection's watch: the status last sent per user; `ready` once the first answer went out. */
interface Watch {
  ready: boolean;
  sent: Map<string, PresenceState | null>;
}

/**
 * Presence on this node: counts the connections of each user here, registers
 * users in the store (renewed on a timer, re-announced when Redis comes back),
 * says online on a user's first connection here and offline `graceMs` after the
 * last closes (unless another node still holds them), and forwards the
 * broker's presence signals to the connections watching those users, each
 * status change once.
 */
export class PresenceTracker {
  private readonly local = new Map<string, number>();
  /** Users whose last connection here closed, inside the grace period. */
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  private readonly watches = new Map<Connection, Watch>();
  private readonly watchers = new Map<string, Set<Connection>>();
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: PresenceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    this.deps.broker.subscribe(SignalChannel.presence, (message) => this.onSignal(message));
    // Redis may have lost our registrations (a restart): register everyone again, and say so.
    this.deps.broker.onReconnect(() => void this.announce(this.heldUsers()));
    this.renewTimer = setInterval(() => void this.renew(), this.deps.renewMs);
    this.renewTimer.unref();
  }

  /** Says offline at once for every user held here (the node is going away). */
  async stop(): Promise<void> {
    clearInterval(this.renewTimer);
    for (const timer of this.leaving.values()) clearTimeout(timer);
    const users = this.heldUsers();
    this.local.clear();
    this.leaving.clear();
    await Promise.all(users.map((userId) => this.leave(userId)));
  }

  connected(connection: Connection): void {
    const { userId } = connection;
    const count = (this.local.get(userId) ?? 0) + 1;
    this.local.set(userId, count);
    if (count > 1) return;
    const leaving = this.leaving.get(userId);
    if (leaving) {
      // Back inside the grace period: still registered, and nobody was told otherwise.
      clearTimeout(leaving);
      this.leaving.delete(userId);
      return;
    }
    void this.announce([userId]);
  }

  disconnected(connection: Connection): void {
    this.unwatch(connection);
    const { userId } = connection;
    const count = (this.local.get(userId) ?? 1) - 1;
    if (count > 0) return void this.local.set(userId, count);
    this.local.delete(userId);
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      void this.leave(userId);
    }, this.deps.graceMs);
    timer.unref();
    this.leaving.set(userId, timer);
  }

  /**
   * `presence.subscribe`: replaces what `connection` watches with `userIds`
   * (themselves and users sharing a conversation with them only), answers the
   * `ack`, one `presence.update` per user, then live changes.
   */
  async watch(
    connection: Connection,
    userIds: readonly string[],
    requestId?: string | number,
  ): Promise<void> {
    const wanted = [...new Set(userIds)];
    if (wanted.length > this.deps.maxWatchedUsers)
      throw new ValidationError(`at most ${this.deps.maxWatchedUsers} users per connection`, 'userIds');
    const others = wanted.filter((userId) => userId !== connection.userId);
    const visible = await this.deps.visibleTo(connection.userId, others);
    const strangers = others.filter((userId) => !visible.has(userId));
    if (strangers.length > 0)
      throw new ForbiddenError(
        `presence is only shared between members of a conversation: ${strangers.join(', ')}`,
      );

    this.unwatch(connection);
    if (!connection.open) return;
    // Watch first, so a change during the read is kept (it wins over what the read says).
    const watch: Watch = { ready: false, sent: new Map(wanted.map((userId) => [userId, null])) };
    this.watches.set(connection, watch);
    for (const userId of wanted) this.watchersOf(userId).add(connection);
    let states: Map<string, PresenceState>;
    try {
      states = await this.deps.store.read(wanted, this.now());
    } catch (error) {
      this.unwatch(connection);
      throw error;
    }
    if (this.watches.get(connection) !== watch) return; // closed, or subscribed again meanwhile
    if (requestId !== undefined) connection.sendFrame({ type: 'ack', id: requestId, data: { status: 'ok' } });
    for (const userId of wanted) {
      const state = watch.sent.get(userId) ?? states.get(userId) ?? { status: 'offline', lastSeenAt: null };
      watch.sent.set(userId, state);
      connection.sendFrame({ type: 'presence.update', data: { userId, ...state } });
    }
    watch.ready = true;
  }

  /**
   * `userId` stopped sharing a conversation with someone: every watch between them
   * and others is checked again, and a user no longer visible is dropped from it,
   * so presence stops flowing to people who no longer share a conversation.
   * `settled` resolves once the read models reflect the change.
   */
  async revoke(userId: string, settled: () => Promise<unknown>): Promise<void> {
    const affected = new Set(this.watchers.get(userId) ?? []);
    for (const connection of this.watches.keys()) if (connection.userId === userId) affected.add(connection);
    if (affected.size === 0) return;
    await settled();
    await Promise.all(
      [...affected].map((connection) =>
        this.recheck(connection).catch((error: unknown) =>
          this.deps.logger.warn({ err: error, userId }, 'presence: could not re-check a watch'),
        ),
      ),
    );
  }

  private async recheck(connection: Connection): Promise<void> {
    const watch = this.watches.get(connection);
    if (!watch) return;
    const others = [...watch.sent.keys()].filter((watched) => watched !== connection.userId);
    const visible = await this.deps.visibleTo(connection.userId, others);
    if (this.watches.get(connection) !== watch) return; // subscribed again or closed meanwhile
    for (const watched of others) {
      if (visible.has(watched)) continue;
      watch.sent.delete(watched);
      this.stopWatching(watched, connection);
    }
  }

  private onSignal(message: unknown): void {
    const parsed = presenceSignal.safeParse(message);
    if (parsed.success) this.forward(parsed.data);
  }

  /** Sends a change to the connections watching the user, each status change once. */
  private forward(signal: PresenceSignal): void {
    const { userId, ...state } = signal;
    for (const connection of this.watchers.get(userId) ?? []) {
      const watch = this.watches.get(connection);
      if (!watch) continue;
      if (!watch.ready) {
        watch.sent.set(userId, state);
        continue;
      }
      if (watch.sent.get(userId)?.status === state.status) continue;
      watch.sent.set(userId, state);
      connection.sendFrame({ type: 'presence.update', data: signal });
    }
  }

  private async announce(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    try {
      await this.deps.store.register(this.deps.nodeId, userIds, this.now());
    } catch (error) {
      // Redis is away: the reconnection re-announces, so this is not lost for good.
      this.deps.logger.warn({ err: error }, 'presence: could not register users');
    }
    for (const userId of userIds) this.publish({ userId, status: 'online', lastSeenAt: null });
  }

  private async leave(userId: string): Promise<void> {
    const now = this.now();
    let elsewhere = false;
    try {
      elsewhere = await this.deps.store.unregister(this.deps.nodeId, userId, now);
    } catch (error) {
      // The registration lapses by itself when its TTL runs out.
      this.deps.logger.warn({ err: error, userId }, 'presence: could not unregister a user');
    }
    if (!elsewhere) this.publish({ userId, status: 'offline', lastSeenAt: now.toISOString() });
  }

  private async renew(): Promise<void> {
    const users = this.heldUsers();
    if (users.length > 0) {
      await this.deps.store.register(this.deps.nodeId, users, this.now()).catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'presence: could not renew registrations');
      });
    }
    await this.reconcile();
  }

  /**
   * Re-reads the watched users: a user whose node died (no offline was ever
   * published) or a signal lost while Redis was away is caught up here.
   */
  private async reconcile(): Promise<void> {
    const watched = [...this.watchers.keys()];
    if (watched.length === 0) return;
    const now = this.now();
    const states = await this.deps.store.read(watched, now).catch(() => undefined);
    for (const [userId, state] of states ?? []) {
      const lastSeenAt = state.status === 'offline' ? (state.lastSeenAt ?? now.toISOString()) : null;
      this.forward({ userId, status: state.status, lastSeenAt });
    }
  }

  private publish(signal: PresenceSignal): void {
    this.deps.broker.publish(SignalChannel.presence, signal);
  }

  /** Users with a connection here, and those inside their grace period (still registered). */
  private heldUsers(): string[] {
    return [...new Set([...this.local.keys(), ...this.leaving.keys()])];
  }

  private watchersOf(userId: string): Set<Connection> {
    let connections = this.watchers.get(userId);
    if (!connections) this.watchers.set(userId, (connections = new Set()));
    return connections;
  }

  private unwatch(connection: Connection): void {
    const watch = this.watches.get(connection);
    if (!watch) return;
    this.watches.delete(connection);
    for (const userId of watch.sent.keys()) this.stopWatching(userId, connection);
  }

  private stopWatching(userId: string, connection: Connection): void {
    const connections = this.watchers.get(userId);
    connections?.delete(connection);
    if (connections?.size === 0) this.watchers.delete(userId);
  }
}
