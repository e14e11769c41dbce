/** The part of a net.Socket that holds writes back: Node's Writable cork/uncork. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed?: boolean;
}

/**
 * Gathers every frame a socket is sent during one turn of the event loop into a
 * single write. `ws` writes each frame as its own syscall; a fan-out turn sends a
 * connection several frames (messages of its conversations, receipts, its acks),
 * and one `writev` per socket per turn instead of one per frame is most of what
 * a busy node saves. Frames leave at the end of the turn, in the order sent.
 */
export class WriteCoalescer {
  private readonly corked = new Set<Corkable>();
  private scheduled = false;

  /** Holds `stream`'s writes until the end of this turn (once per turn: Node counts corks). */
  holdUntilTurnEnds(stream: Corkable): void {
    if (this.corked.has(stream)) return;
    stream.cork();
    this.corked.add(stream);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const streams = [...this.corked];
    this.corked.clear();
    for (const stream of streams) stream.uncork();
  }
}
