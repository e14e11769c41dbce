/**
 * Runs at most `max` tasks at once; the others wait in arrival order. Used where
 * each task holds a large resource (an scrypt hash holds 128 MiB) and running
 * them all at once would exhaust memory rather than finish sooner.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  }

  /** How many tasks are running now. */
  get active(): number {
    return this.running;
  }

  /** How many tasks wait for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running += 1;
    // A finishing task hands its slot straight to the next waiter (`running` unchanged),
    // so a newcomer can never overtake the queue.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
