import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationCommands } from '../../commands/conversations/conversation-commands.js';
import { loadConfig } from '../../infra/config/config.js';
import { createLogger } from '../../infra/logging/logger.js';
import { createRedisUnreadCounters } from '../../infra/unread/redis.unread-counters.js';
import { openTestEngine, type TestEngine } from '../../projections/testing/test-engine.js';
import type { Feature } from '../compose.js';
import { unreadFeature, unreadOf, type UnreadService } from './unread.feature.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('the unread feature', () => {
  const redisKeyPrefix = `parley:test:${randomUUID()}:`;
  let unread: UnreadService;
  let engine: TestEngine;
  let feature: Feature;
  let commands: ConversationCommands;

  beforeAll(async () => {
    engine = await openTestEngine('postgres', 'unread_feature');
    commands = new ConversationCommands({
      eventStore: engine.eventStore,
      users: { existingUserIds: async (ids) => new Set(ids) },
      clock: () => new Date(),
      newId: randomUUID,
    });
  });
  afterAll(async () => {
    await feature?.stop?.();
    await engine?.close();
  });

  const infraWith = (environment: Record<string, string>) => ({
    config: loadConfig({ ...environment, REDIS_KEY_PREFIX: redisKeyPrefix }),
    eventStore: engine.eventStore,
    logger: createLogger('silent'),
  });

  it("counts a member's unread messages in Redis once started, and nothing for a non-member", async () => {
    const infra = infraWith({ REDIS_URL });
    feature = await unreadFeature()(infra);
    unread = unreadOf(infra)!;
    await feature.projector?.start();
    const [alice, bob] = [randomUUID(), randomUUID()];
    const { conversationId } = await commands.createConversation(
      { kind: 'group', memberIds: [bob], title: 'pair' },
      { actorId: alice },
    );
    await commands.sendMessage(
      conversationId,
      { clientMsgId: randomUUID(), body: 'one' },
      { actorId: alice },
    );
    const { position } = await commands.sendMessage(
      conversationId,
      { clientMsgId: randomUUID(), body: 'two' },
      { actorId: alice },
    );
    expect(await unread.queries.waitForPosition(position)).toBe(true);
    await expect(unread.queries.unreadCount(bob, conversationId)).resolves.toBe(2);
    await expect(unread.queries.unreadCount(alice, conversationId)).resolves.toBe(0);
    await expect(unread.queries.unreadCount(randomUUID(), conversationId)).resolves.toBeNull();

    await unread.rebuild();
    await expect(unread.queries.unreadCount(bob, conversationId)).resolves.toBe(2);

    const probe = await createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: `${redisKeyPrefix}unread:` });
    try {
      expect(await probe.checkpoint()).toBeGreaterThanOrEqual(position);
    } finally {
      await probe.clear();
      await probe.close();
    }
  });

  it('keeps nothing without Redis: no counters, no projector replaying the log', async () => {
    const infra = infraWith({});
    expect(await unreadFeature()(infra)).toEqual({});
    expect(unreadOf(infra)).toBeUndefined();
  });
});
