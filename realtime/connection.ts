import { CloseCode, SOCKET_OPEN, type ClientSocket } from './socket.js';
import { WireFrame } from './wire-frame.js';
import type { Flushable, WriteCoalescer } from './write-coalescer.js';

/** A conversation frame: serialized and encoded once, the same object for every recipient. */
export interface ConversationFrame {
  conversationId: string;
  /** The event's stream revision; absent for frames outside the stream (read receipts). */
  rev?: number;
  wire: WireFrame;
  /** Runs for each connection the frame was handed to without error (delivery receipts). */
  onSent?: (connection: Connection) => void;
}

/** Revisions of one conversation this connection has been sent, all of them, from `from` to `to`. */
interface SentRange {
  from: number;
  to: number;
}

export interface ConnectionOptions {
  /** Past this many queued bytes the client is closed as a slow consumer. */
  sendBufferBytes: number;
  onSlowConsumer?: () => void;
  /** The TCP socket under `socket`: frames are written to it directly, and those of one turn go out together. */
  wire: { stream: TcpStream; coalescer: WriteCoalescer };
}

/** The part of a net.Socket frames are written to. */
export interface TcpStream {
  write(bytes: Buffer, callback?: WriteCallback): boolean;
  readonly destroyed?: boolean;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * One client socket: sends with a bounded buffer, and the per-conversation state
 * that keeps frames exactly-once across a `sync` (which revisions were sent, and
 * the live frames held back while a replay runs).
 */
export class Connection implements Flushable {
  /** Cleared before each heartbeat ping, set again by the pong. */
  alive = true;
  private sent: Map<string, SentRange> | undefined;
  /** Conversations being replayed, with the live frames that arrived meanwhile. */
  private held: Map<string, ConversationFrame[]> | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** This turn's frames, written together when it ends, and what runs once they are. */
  private outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  /** Whether this turn's end will flush the outgoing frames (else they are unhurried ones, or none). */
  private flushAtTurnEnd = false;
  private sentHooks: ((connection: Connection) => void)[] | undefined;
  private writeCallbacks: WriteCallback[] | undefined;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly socket: ClientSocket,
    private readonly options: ConnectionOptions,
  ) {}

  get open(): boolean {
    return this.socket.readyState === SOCKET_OPEN;
  }

  /**
   * Queues a frame unless the client has fallen too far behind: memory per
   * connection stays bounded, and the client is told to reconnect and `sync`.
   */
  send(frame: WireFrame, callback?: WriteCallback): void {
    this.queueBytes(frame.bytes, undefined, callback);
  }

  /**
   * Queues a frame nobody is waiting on (a delivery receipt) to go out with this
   * connection's next write, or on its own a moment later (`UNHURRIED_FLUSH_MS`).
   */
  sendUnhurried(frame: WireFrame): void {
    this.queueBytes(frame.bytes, undefined, undefined, true);
  }

  /** Closes the socket after this turn's frames: nothing queued goes out after the close frame. */
  close(code: number, reason: string): void {
    this.flush();
    this.socket.close(code, reason);
  }

  /**
   * Writes this turn's frames as one buffer, behind whatever `ws` wrote to the
   * same stream before (pings, pongs): without compression or Blobs `ws` writes at
   * once. Frames are not written after `ws` has begun closing (a protocol error's
   * close frame is final); their callbacks get an error instead.
   */
  flush(): void {
    this.flushAtTurnEnd = false;
    const chunks = this.outgoing;
    if (chunks.length === 0) return;
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.outgoingBytes);
    const hooks = this.sentHooks;
    const callbacks = this.writeCallbacks;
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.sentHooks = undefined;
    this.writeCallbacks = undefined;
    const written =
      hooks || callbacks ? (error?: Error | null) => this.written(error, hooks, callbacks) : undefined;
    const { stream } = this.options.wire;
    if (!this.open || stream.destroyed) return written?.(new Error('connection closed'));
    stream.write(bytes, written);
  }

  private written(
    error: Error | null | undefined,
    hooks: ((connection: Connection) => void)[] | undefined,
    callbacks: WriteCallback[] | undefined,
  ): void {
    if (!error && hooks) for (const hook of hooks) hook(this);
    if (callbacks) for (const callback of callbacks) callback(error);
  }

  private queueBytes(
    bytes: Buffer,
    sentHook?: (connection: Connection) => void,
    callback?: WriteCallback,
    unhurried = false,
  ): void {
    const { stream, coalescer } = this.options.wire;
    if (!this.open || stream.destroyed) return callback?.(new Error('connection closed'));
    if (this.socket.bufferedAmount + this.outgoingBytes + bytes.length > this.options.sendBufferBytes) {
      this.options.onSlowConsumer?.();
      // `close` waits for the queue to drain, up to ws's close timeout; then the socket is destroyed.
      this.close(CloseCode.slowConsumer, 'send buffer full: reconnect and sync');
      return callback?.(new Error('slow consumer'));
    }
    if (unhurried) {
      if (this.outgoing.length === 0) coalescer.flushSoon(this);
    } else if (!this.flushAtTurnEnd) {
      this.flushAtTurnEnd = true;
      coalescer.flushWhenTurnEnds(this);
    }
    this.outgoing.push(bytes);
    this.outgoingBytes += bytes.length;
    if (sentHook) (this.sentHooks ??= []).push(sentHook);
    if (callback) (this.writeCallbacks ??= []).push(callback);
  }

  sendFrame(frame: { type: string; id?: string | number; data: unknown }): void {
    this.send(WireFrame.of(frame));
  }

  /**
   * Sends replayed frames and resolves once the last was handed to the kernel, so
   * a long replay goes at the client's pace. Each is sent, even one that went out
   * live before: the client's cursor says it does not have it (a client drops a
   * frame after a jump and syncs for it). `endReplay` records what they covered,
   * so the live frames held meanwhile are not sent twice.
   */
  sendReplayed(frames: readonly ConversationFrame[]): Promise<void> {
    let written: Promise<void> = Promise.resolve();
    frames.forEach((frame, index) => {
      if (index < frames.length - 1) return this.queueBytes(frame.wire.bytes, frame.onSent);
      written = new Promise((resolve) => this.queueBytes(frame.wire.bytes, frame.onSent, () => resolve()));
    });
    return this.open ? written : Promise.resolve();
  }

  /** A live frame: held while its conversation replays, dropped if this connection already has it. */
  deliver(frame: ConversationFrame): void {
    const held = this.held?.get(frame.conversationId);
    if (held) {
      held.push(frame);
      return;
    }
    this.sendConversationFrame(frame);
  }

  /** Sends unless that revision was sent before; extends the record of what was sent. */
  sendConversationFrame(frame: ConversationFrame, callback?: () => void): void {
    if (frame.rev === undefined) {
      this.queueBytes(frame.wire.bytes, frame.onSent, callback);
      return;
    }
    this.sent ??= new Map();
    const range = this.sent.get(frame.conversationId);
    if (range && frame.rev >= range.from && frame.rev <= range.to) return callback?.();
    if (!range || frame.rev !== range.to + 1) {
      // The first frame of a conversation, or one after a gap the client will `sync` over.
      this.sent.set(frame.conversationId, { from: frame.rev, to: frame.rev });
    } else {
      range.to = frame.rev;
    }
    this.queueBytes(frame.wire.bytes, frame.onSent, callback);
  }

  /** Starts holding live frames of these conversations back until `endReplay`. */
  beginReplay(conversationIds: Iterable<string>): void {
    this.held ??= new Map();
    for (const conversationId of conversationIds) this.held.set(conversationId, []);
  }

  /**
   * Records that revisions `(afterRev, lastRev]` were replayed, then releases the
   * held live frames past them, in order. Call after `sync.done` was sent.
   */
  endReplay(cursors: ReadonlyMap<string, { afterRev: number; lastRev: number }>): void {
    for (const [conversationId, { afterRev, lastRev }] of cursors) {
      const held = this.held?.get(conversationId) ?? [];
      this.held?.delete(conversationId);
      this.sent ??= new Map();
      const range = this.sent.get(conversationId);
      // A replay cut short below live frames sent earlier leaves a gap between them: that is not all sent.
      const leavesGap = range !== undefined && range.from > lastRev + 1;
      if (lastRev > afterRev && !leavesGap) {
        this.sent.set(conversationId, {
          from: Math.min(afterRev + 1, range?.from ?? afterRev + 1),
          to: Math.max(lastRev, range?.to ?? lastRev),
        });
      }
      for (const frame of held) this.sendConversationFrame(frame);
    }
    if (this.held?.size === 0) this.held = undefined;
  }

  /** Runs `work` after every earlier one: a client's requests take effect in the order it sent them. */
  serially(work: () => Promise<void>): Promise<void> {
    const turn = this.queue.then(work, work);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Resolves when every request received so far has been answered. */
  idle(): Promise<void> {
    return this.queue;
  }
}
