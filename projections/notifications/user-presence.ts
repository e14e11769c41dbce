/** Whether a user has a live connection, as the notifications see it. */
export interface UserPresenceState {
  online: boolean;
  /** When their last connection closed; null while online or when never seen (or forgotten). */
  lastSeenAt: Date | null;
}

/**
 * The notifications' view of presence: the seam between this projection and the
 * realtime side, which keeps presence (`infra/presence`) as connections open and
 * close on every node. Reads may lag a connection by the presence engine's own
 * grace period; a user unknown to it is offline and never seen.
 */
export interface UserPresence {
  read(userIds: readonly string[], now: Date): Promise<Map<string, UserPresenceState>>;
}

/** No presence engine wired: everyone is offline, never seen (every unread message may be mailed). */
export const nobodyOnline: UserPresence = {
  async read(userIds) {
    return new Map(userIds.map((userId) => [userId, { online: false, lastSeenAt: null }]));
  },
};
