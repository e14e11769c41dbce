import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openTcpRelay } from '../../test/support/tcp-relay.js';
import { waitFor } from '../../test/support/wait-for.js';
import { createMemorySignalBroker } from './memory.signal-broker.js';
import { createRedisSignalBroker } from './redis.signal-broker.js';
import type { SignalBroker } from './signal-broker.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function brokerConformance(engineName: string, open: () => Promise<SignalBroker[]>): void {
  describe(`signal broker: ${engineName}`, () => {
    const opened: SignalBroker[] = [];
    afterAll(() => Promise.all(opened.map((broker) => broker.close())));

    it('delivers a signal to every subscriber of its channel, the publisher included, and no other', async () => {
      const brokers = await open();
      opened.push(...brokers);
      const [publisher] = brokers;
      const seen = brokers.map(() => [] as unknown[]);
      const elsewhere: unknown[] = [];
      brokers.forEach((broker, index) => broker.subscribe('test', (message) => seen[index]!.push(message)));
      brokers.forEach((broker) => broker.subscribe('other', (message) => elsewhere.push(message)));
      // A subscription may take a round trip to be in place: publish until the first arrives.
      await waitFor('the subscriptions', async () => {
        publisher!.publish('test', { probe: true });
        await new Promise((resolve) => setImmediate(resolve));
        return seen.every((messages) => messages.length > 0);
      });
      publisher!.publish('test', { n: 1, text: 'hé' });
      await waitFor('every subscriber', () =>
        seen.every((messages) => messages.some((m) => (m as { n?: number }).n === 1)),
      );
      expect(seen.map((messages) => messages.at(-1))).toEqual(brokers.map(() => ({ n: 1, text: 'hé' })));
      expect(elsewhere).toEqual([]);
    });
  });
}

brokerConformance('memory', async () => [createMemorySignalBroker()]);
brokerConformance('redis', async () => {
  const keyPrefix = `parley:test:broker:${randomUUID()}:`;
  return Promise.all([0, 1].map(() => createRedisSignalBroker({ url: REDIS_URL, keyPrefix })));
});

describe('signal broker: redis, when Redis goes away', () => {
  it('drops signals without throwing, then tells its listeners and delivers again once back', async () => {
    const relay = await openTcpRelay(new URL(REDIS_URL));
    const broker = await createRedisSignalBroker({
      url: relay.url,
      keyPrefix: `parley:test:broker:${randomUUID()}:`,
    });
    try {
      const seen: unknown[] = [];
      let reconnections = 0;
      broker.subscribe('test', (message) => seen.push(message));
      broker.onReconnect(() => (reconnections += 1));
      await waitFor('the subscription', async () => {
        broker.publish('test', 'probe');
        await new Promise((resolve) => setImmediate(resolve));
        return seen.length > 0;
      });
      expect(reconnections).toBe(0);
      await relay.cut();
      expect(() => broker.publish('test', 'lost')).not.toThrow();
      await relay.restore();
      await waitFor('the reconnection', () => reconnections === 1);
      seen.length = 0;
      await waitFor('a signal after the reconnection', async () => {
        broker.publish('test', 'after');
        await new Promise((resolve) => setImmediate(resolve));
        return seen.includes('after');
      });
    } finally {
      await broker.close();
      await relay.close();
    }
  });
});
