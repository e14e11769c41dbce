import type { UserPresence } from '../../projections/notifications/user-presence.js';
import type { PresenceStore } from '../presence/presence-store.js';

/** The notifications' presence port over the realtime side's presence store (memory or Redis). */
export function userPresenceOf(store: Pick<PresenceStore, 'read'>): UserPresence {
  return {
    async read(userIds, now) {
      const states = await store.read(userIds, now);
      return new Map(
        [...states].map(([userId, state]) => [
          userId,
          {
            online: state.status === 'online',
            lastSeenAt: state.lastSeenAt ? new Date(state.lastSeenAt) : null,
          },
        ]),
      );
    },
  };
}
