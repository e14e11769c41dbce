import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationCommands } from '../../commands/conversations/conversation-commands.js';
import { createRedisUnreadCounters } from '../../infra/unread/redis.unread-counters.js';
import type { UnreadCounters } from '../../infra/unread/unread-counters.js';
import { openTcpRelay, type TcpRelay } from '../../test/support/tcp-relay.js';
import { openTestEngine, type TestEngine } from '../testing/test-engine.js';
import { UnreadProjector } from './unread.projector.js';

const REDIS_URL = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

describe('unread counters in Redis while Redis goes away', () => {
  const keyPrefix = `parley:test:unread:${randomUUID()}:`;
  let engine: TestEngine;
  let relay: TcpRelay;
  let counters: UnreadCounters;
  let direct: UnreadCounters;
  let projector: UnreadProjector;
  let commands: ConversationCommands;

  beforeAll(async () => {
    engine = await openTestEngine('postgres', 'unread_outage');
    relay = await openTcpRelay(REDIS_URL);
    counters = await createRedisUnreadCounters({ url: relay.url, keyPrefix });
    // The same keys, reached without the relay: what Redis holds whatever the relay does.
    direct = await createRedisUnreadCounters({ url: REDIS_URL.toString(), keyPrefix });
    projector = new UnreadProjector({ eventStore: engine.eventStore, counters, retryBaseDelayMs: 10 });
    await projector.start();
    commands = new ConversationCommands({
      eventStore: engine.eventStore,
      users: { existingUserIds: async (ids) => new Set(ids) },
      clock: () => new Date(),
      newId: randomUUID,
    });
  });
  afterAll(async () => {
    await projector?.stop();
    await direct?.clear();
    await Promise.all([counters?.close(), direct?.close()]);
    await relay?.close();
    await engine?.close();
  });

  const send = (conversationId: string, actorId: string) =>
    commands.sendMessage(conversationId, { clientMsgId: randomUUID(), body: 'hi' }, { actorId });

  it('retries while Redis is away, then catches up with what was written meanwhile', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const { conversationId } = await commands.createConversation(
      { kind: 'group', memberIds: [bob], title: 'outage' },
      { actorId: alice },
    );
    const before = await send(conversationId, alice);
    expect(await projector.waitForPosition(before.position)).toBe(true);

    await relay.cut();
    // Reads fail at once rather than queue behind the reconnection.
    await expect(counters.readState(bob, conversationId)).rejects.toThrow();
    await send(conversationId, alice);
    const last = await send(conversationId, alice);
    expect(await direct.checkpoint()).toBeLessThan(last.position);
    await expect(direct.readState(bob, conversationId)).resolves.toMatchObject({ unreadCount: 1 });

    await relay.restore();
    expect(await projector.waitForPosition(last.position, 30_000)).toBe(true);
    await expect(counters.readState(bob, conversationId)).resolves.toMatchObject({ unreadCount: 3 });
  });
});
