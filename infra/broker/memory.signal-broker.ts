import type { Logger } from '../logging/logger.js';
import type { SignalBroker, SignalHandler } from './signal-broker.js';

/**
 * The in-process engine (embedded mode, one node): handlers run on a later
 * microtask, as they would after a network hop, so a publisher never re-enters itself.
 */
export function createMemorySignalBroker(logger?: Logger): SignalBroker {
  const handlers = new Map<string, SignalHandler[]>();
  return {
    engine: 'memory',
    publish(channel, message) {
      // A copy through JSON: subscribers see exactly what a Redis subscriber would.
      const copy: unknown = JSON.parse(JSON.stringify(message));
      queueMicrotask(() => {
        for (const handler of handlers.get(channel) ?? []) {
          try {
            handler(copy);
          } catch (error) {
            logger?.error({ err: error, channel }, 'signal handler failed');
          }
        }
      });
    },
    subscribe(channel, handler) {
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler]);
    },
    onReconnect() {
      // Never disconnected.
    },
    async close() {
      handlers.clear();
    },
  };
}
