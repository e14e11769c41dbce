export interface PresenceState {
  status: 'online' | 'offline';
  /** When the user's last connection closed (ISO 8601); null while online or never seen. */
  lastSeenAt: string | null;
}

/**
 * Who is online across every node. A node registers the users it holds
 * connections for; a registration lives `ttlMs` unless renewed, so the node
 * renews all of its users well inside that time (a heartbeat) and a node that
 * dies takes its users offline by itself. A user is online while any node's
 * registration is alive. Commands fail fast (reject) while the engine is away.
 */
export interface PresenceStore {
  readonly engine: 'memory' | 'redis';
  /** Registers (or renews) `userIds` as connected on `nodeId`, for `ttlMs` from `now`. */
  register(nodeId: string, userIds: readonly string[], now: Date): Promise<void>;
  /**
   * Drops `nodeId`'s registration of `userId` and records `now` as last seen.
   * Resolves to true when another node still holds the user (they stay online).
   */
  unregister(nodeId: string, userId: string, now: Date): Promise<boolean>;
  read(userIds: readonly string[], now: Date): Promise<Map<string, PresenceState>>;
  close(): Promise<void>;
}
