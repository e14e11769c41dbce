import type { RecordedEvent, Subscription } from '../../infra/eventstore/event-store.js';

/** How far the feed may read ahead of the runner; past this it stops pulling from the store. */
const DEFAULT_READ_AHEAD = 1_000;

/**
 * Turns a subscription into batches of whatever has already arrived. A background
 * pump pulls events into a bounded buffer while the runner applies the previous
 * batch, so a batch is "everything available now, up to the limit": the runner
 * never waits for a batch to fill, and never falls behind by more than the buffer.
 */
export class EventFeed {
  private readonly buffer: RecordedEvent[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakePump: (() => void) | undefined;
  private stopped = false;
  private readonly pumping: Promise<void>;

  constructor(
    private readonly subscription: Subscription,
    private readonly readAhead = DEFAULT_READ_AHEAD,
  ) {
    this.pumping = this.pump();
  }

  /**
   * The next batch: at least one event and at most `max`, as soon as one is there.
   * Null when the feed ended (stopped, or `signal` aborted). Throws the
   * subscription's error once the events received before it are consumed.
   */
  async take(max: number, signal: AbortSignal): Promise<RecordedEvent[] | null> {
    // A stopping runner takes nothing more, even from a full buffer: it is read again after a restart.
    if (signal.aborted) return null;
    if (this.buffer.length === 0) {
      if (this.isOver(signal)) return this.end();
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          this.wakeConsumer = undefined;
          resolve();
        };
        this.wakeConsumer = wake;
        signal.addEventListener('abort', wake, { once: true });
      });
      if (signal.aborted) return null;
      // Events of a page the store has already read arrive over a few microtasks; one
      // turn of the event loop lets them all land in this batch instead of the next.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.buffer.length === 0) return this.end();
    }
    const batch = this.buffer.splice(0, max);
    this.wakePump?.();
    return batch;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakePump?.();
    await this.subscription.stop();
    await this.pumping;
  }

  private isOver(signal: AbortSignal): boolean {
    return signal.aborted || this.ended;
  }

  private end(): null {
    if (this.failure) throw this.failure.error;
    return null;
  }

  private async pump(): Promise<void> {
    try {
      for await (const event of this.subscription) {
        if (this.stopped) break;
        this.buffer.push(event);
        this.wakeConsumer?.();
        if (this.buffer.length >= this.readAhead) {
          await new Promise<void>((resolve) => {
            this.wakePump = () => {
              this.wakePump = undefined;
              resolve();
            };
          });
        }
        if (this.stopped) break;
      }
    } catch (error) {
      if (!this.stopped) this.failure = { error };
    } finally {
      this.ended = true;
      this.wakeConsumer?.();
    }
  }
}
