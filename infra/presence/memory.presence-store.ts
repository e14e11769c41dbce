import type { PresenceState, PresenceStore } from './presence-store.js';

/** The in-process engine (embedded mode): registrations and last-seen times in maps. */
export function createMemoryPresenceStore(ttlMs: number): PresenceStore {
  /** userId → nodeId → when the registration lapses (ms). */
  const registrations = new Map<string, Map<string, number>>();
  const lastSeen = new Map<string, string>();
  const liveNodes = (userId: string, now: Date) =>
    [...(registrations.get(userId) ?? new Map<string, number>())].filter(
      ([, expiresAt]) => expiresAt > now.getTime(),
    ).length;

  return {
    engine: 'memory',
    async register(nodeId, userIds, now) {
      for (const userId of userIds) {
        const nodes = registrations.get(userId) ?? new Map<string, number>();
        nodes.set(nodeId, now.getTime() + ttlMs);
        registrations.set(userId, nodes);
      }
    },
    async unregister(nodeId, userId, now) {
      const nodes = registrations.get(userId);
      nodes?.delete(nodeId);
      if (nodes?.size === 0) registrations.delete(userId);
      lastSeen.set(userId, now.toISOString());
      return liveNodes(userId, now) > 0;
    },
    async read(userIds, now) {
      const states = new Map<string, PresenceState>();
      for (const userId of userIds) {
        const online = liveNodes(userId, now) > 0;
        states.set(userId, {
          status: online ? 'online' : 'offline',
          lastSeenAt: online ? null : (lastSeen.get(userId) ?? null),
        });
      }
      return states;
    },
    async close() {
      registrations.clear();
    },
  };
}
