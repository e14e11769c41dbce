interface Waiter {
  position: bigint;
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

/**
 * Callers waiting for the read models to reach a position (read-your-writes).
 * Woken by the runner right after each commit, so there is no polling delay.
 */
export class PositionWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves true once `reached(position)` is reported, false after `timeoutMs` or on `cancelAll`. */
  wait(position: bigint, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve: (reached) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
        timer: setTimeout(() => waiter.resolve(false), Math.max(0, timeoutMs)),
      };
      this.waiters.add(waiter);
    });
  }

  /** Every projection is at `position` or beyond: wake whoever waited for no more than that. */
  reached(position: bigint): void {
    for (const waiter of [...this.waiters]) if (waiter.position <= position) waiter.resolve(true);
  }

  /** Nothing will advance any more (the runner stopped). */
  cancelAll(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(false);
  }
}
