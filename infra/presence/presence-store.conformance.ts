import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceStore } from './presence-store.js';

/**
 * The contract every `PresenceStore` engine keeps (see the port's TSDoc). `open`
 * gives a store whose registrations live `ttlMs`. Time is passed in, so lapsing
 * is shown by reading at a later `now`, not by waiting.
 */
export function presenceStoreConformance(
  engineName: string,
  ttlMs: number,
  open: () => Promise<PresenceStore>,
): void {
  describe(`presence store: ${engineName}`, () => {
    let store: PresenceStore;
    const t0 = new Date();
    const at = (ms: number) => new Date(t0.getTime() + ms);
    beforeAll(async () => {
      store = await open();
    });
    afterAll(() => store?.close());

    it('says offline with no lastSeenAt for a user never seen', async () => {
      const user = randomUUID();
      expect((await store.read([user], t0)).get(user)).toEqual({ status: 'offline', lastSeenAt: null });
    });

    it('keeps a user online while any node holds them, then records when they were last seen', async () => {
      const [user, nodeA, nodeB] = [randomUUID(), randomUUID(), randomUUID()];
      await store.register(nodeA, [user], t0);
      await store.register(nodeB, [user], t0);
      expect((await store.read([user], at(1))).get(user)).toEqual({ status: 'online', lastSeenAt: null });
      await expect(store.unregister(nodeA, user, at(2))).resolves.toBe(true);
      expect((await store.read([user], at(3))).get(user)?.status).toBe('online');
      await expect(store.unregister(nodeB, user, at(4))).resolves.toBe(false);
      expect((await store.read([user], at(5))).get(user)).toEqual({
        status: 'offline',
        lastSeenAt: at(4).toISOString(),
      });
    });

    it('lets a registration lapse after the TTL unless renewed (a crashed node)', async () => {
      const [renewed, crashed, node, deadNode] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await store.register(node, [renewed], t0);
      await store.register(deadNode, [crashed], t0);
      await store.register(node, [renewed], at(ttlMs / 2));
      const later = await store.read([renewed, crashed], at(ttlMs + 1));
      expect(later.get(renewed)?.status).toBe('online');
      expect(later.get(crashed)?.status).toBe('offline');
      // A lapsed node does not count as holding the user when another one leaves.
      await store.register(node, [crashed], at(ttlMs + 2));
      await expect(store.unregister(node, crashed, at(ttlMs + 3))).resolves.toBe(false);
    });
  });
}
