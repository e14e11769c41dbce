/** A signal's handler: the JSON value a publisher sent, already parsed (validate before use). */
export type SignalHandler = (message: unknown) => void;

/**
 * How ephemeral signals (typing, presence, delivery receipts) cross realtime
 * nodes. Guarantees, on purpose few:
 * - **best effort, at most once**: a signal published while the engine is
 *   disconnected is dropped, never queued or retried; a node that is away misses it;
 * - **no ordering across publishers**; one publisher's signals on one channel
 *   arrive in the order published while its connection holds;
 * - every subscriber of a channel gets each signal, the publishing node's included.
 * Signals are never events in the log: nothing here is durable or replayed.
 */
export interface SignalBroker {
  readonly engine: 'memory' | 'redis';
  /** Never throws and never waits for the network: a signal that cannot leave is dropped. */
  publish(channel: string, message: unknown): void;
  /** Adds a handler for a channel, for the broker's lifetime. A throwing handler is logged, not rethrown. */
  subscribe(channel: string, handler: SignalHandler): void;
  /**
   * Runs `listener` each time the engine is back after losing its connection,
   * so a node can re-announce state others may have lost (never on the first connect).
   */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}
