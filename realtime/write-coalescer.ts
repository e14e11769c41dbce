/** Something that holds its writes back until the turn ends: a connection's outgoing frames. */
export interface Flushable {
  flush(): void;
}

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

  /** Flushes `outbox` when this turn ends. Call it once per turn, when the outbox gets its first write. */
  flushWhenTurnEnds(outbox: Flushable): void {
    this.due.push(outbox);
    if (this.due.length === 1) setImmediate(() => this.flushDue());
  }

  private flushDue(): void {
    const due = this.due;
    this.due = [];
    for (const outbox of due) outbox.flush();
  }
}
