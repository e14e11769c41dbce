/**
 * Wakes subscribers when the log grows. One LISTEN per store feeds every
 * subscription of that store; a subscriber takes a ticket before it reads and
 * waits on it afterwards, so a notification that arrives mid-read is never lost.
 */
export class HeadWatcher {
  private generation = 0;
  private waiters = new Set<() => void>();

  /** Called on every notification (and after a reconnect, when some may have been missed). */
  notify(): void {
    this.generation += 1;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  ticket(): number {
    return this.generation;
  }

  /**
   * Resolves when something happened after `ticket` was taken, when `signal`
   * aborts, or after `timeoutMs` (a slow safety net, not the wake-up path).
   */
  waitForChange(ticket: number, signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (ticket !== this.generation || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}
