import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import type { SignalBroker, SignalHandler } from './signal-broker.js';

export interface RedisSignalBrokerOptions {
  url: string;
  /** Prefix of every channel (REDIS_KEY_PREFIX); channels are `<prefix>signal:<name>`. */
  keyPrefix: string;
  logger?: Logger;
}

/**
 * Redis pub/sub: one subscriber connection per node for every channel, and one
 * connection that publishes. Publishing fails fast while Redis is away (no offline
 * queue): the signal is dropped, as the port allows. ioredis reconnects both and
 * re-subscribes by itself; `onReconnect` listeners run once the subscriber is back.
 */
export async function createRedisSignalBroker(options: RedisSignalBrokerOptions): Promise<SignalBroker> {
  const { logger } = options;
  const channelOf = (name: string) => `${options.keyPrefix}signal:${name}`;
  const connection = { lazyConnect: true, connectTimeout: 2_000 } as const;
  const publisher = new Redis(options.url, {
    ...connection,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
  });
  // The subscriber keeps its offline queue: a SUBSCRIBE made while Redis is away waits for it.
  const subscriber = new Redis(options.url, connection);
  const handlers = new Map<string, SignalHandler[]>();
  const reconnectListeners: (() => void)[] = [];
  let lostConnection = false;

  publisher.on('error', (error: Error) => logger?.warn({ err: error.message }, 'signal broker: redis error'));
  subscriber.on('error', (error: Error) =>
    logger?.warn({ err: error.message }, 'signal broker: redis error'),
  );
  subscriber.on('close', () => {
    lostConnection = true;
  });
  subscriber.on('ready', () => {
    if (!lostConnection) return;
    lostConnection = false;
    for (const listener of reconnectListeners) listener();
  });
  subscriber.on('message', (channel: string, text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return logger?.warn({ channel }, 'signal broker: a signal that is not JSON was dropped');
    }
    for (const handler of handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (error) {
        logger?.error({ err: error, channel }, 'signal handler failed');
      }
    }
  });
  // Unreachable at start is not fatal: ioredis keeps trying, signals are dropped meanwhile.
  await Promise.all(
    [publisher.connect(), subscriber.connect()].map((connecting) => connecting.catch(() => undefined)),
  );
  // A failure before the first `ready` must not count as a reconnection to announce.
  lostConnection = false;

  return {
    engine: 'redis',
    publish(channel, message) {
      publisher.publish(channelOf(channel), JSON.stringify(message)).catch((error: unknown) => {
        logger?.debug({ err: error, channel }, 'signal dropped: redis unavailable');
      });
    },
    subscribe(channel, handler) {
      const name = channelOf(channel);
      const existing = handlers.get(name);
      if (existing) return void existing.push(handler);
      handlers.set(name, [handler]);
      subscriber.subscribe(name).catch((error: unknown) => {
        logger?.warn({ err: error, channel }, 'signal broker: subscribe failed; retried on reconnect');
      });
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    async close() {
      handlers.clear();
      subscriber.disconnect();
      // QUIT lets the last signals (a stopping node's offlines) leave first; fails fast if Redis is away.
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}
