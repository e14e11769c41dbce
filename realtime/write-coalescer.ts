/** Something that holds its writes back until the turn ends: a connection's outgoing frames. */
export interface Flushable {
  flush(): void;
}

/**
 * How long a frame nobody is waiting on (a delivery receipt) may be held for a
 * write to ride along with. Under load a connection is written to several times
 * a second, so most such frames never cost a write of their own; a syscall to a
 * socket costs more than everything else a frame takes. Receipts are coalesced
 * over half a second already; this adds at most a fifth of a second on an idle
 * connection.
 */
export const UNHURRIED_FLUSH_MS = 200;

/**
 * Ends each turn of the event loop by flushing what was held back during it. A
 * fan-out turn sends a connection several frames (messages of its conversations,
 * receipts, its acks); the connection gathers them and writes them as one buffer
 * when the turn ends. One stream write, one callback and one syscall per socket
 * per turn cost far less than a write per frame, each with the stream's per-chunk
 * bookkeeping, which is most of what a busy node spends above the syscalls.
 */
export class WriteCoalescer {
  private due: Flushable[] = [];
  private unhurried: Flushable[] = [];

  constructor(private readonly unhurriedMs = UNHURRIED_FLUSH_MS) {}

  /** Flushes `outbox` when this turn ends. Call it once per turn, when the outbox gets its first write. */
  flushWhenTurnEnds(outbox: Flushable): void {
    this.due.push(outbox);
    if (this.due.length === 1) setImmediate(() => this.flushDue());
  }

  /**
   * Flushes `outbox` within `unhurriedMs`, if nothing flushed it before. Flushing
   * an outbox that was written meanwhile finds it empty and costs nothing.
   */
  flushSoon(outbox: Flushable): void {
    this.unhurried.push(outbox);
    if (this.unhurried.length === 1) setTimeout(() => this.flushUnhurried(), this.unhurriedMs);
  }

  private flushDue(): void {
    const due = this.due;
    this.due = [];
    for (const outbox of due) outbox.flush();
  }

  private flushUnhurried(): void {
    const unhurried = this.unhurried;
    this.unhurried = [];
    for (const outbox of unhurried) outbox.flush();
  }
}
