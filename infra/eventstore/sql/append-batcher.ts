import type { SerializedEvent } from '../validate-append.js';

/**
 * Group commit: appends submitted while a batch is on its way to the database
 * wait and go together in the next one, so N concurrent writers cost about one
 * transaction instead of N. A lone writer is delayed by one event-loop turn at
 * most: with nothing in flight, its append leaves at once.
 */

export interface PendingAppend {
  stream: string;
  /** The expected revision as text: `any`, `no_stream`, `stream_exists` or a number. */
  expected: string;
  events: SerializedEvent[];
  bytes: number;
  /** Test hook: keep the transaction open this long after its writes. */
  holdMs: number;
}

export type BatchItemResult = { r: number; p: string; dup?: true } | { err: string; actual?: number | null };

export interface AppendBatcherOptions {
  /** Batches on their way at once (each on its own connection). Defaults to 3. */
  maxInFlight?: number;
  /** Stop adding appends to a batch past this many bytes. Defaults to 4 MiB. */
  maxBatchBytes?: number;
  /** Stop adding appends to a batch past this many appends. Defaults to 500. */
  maxBatchItems?: number;
}

interface Waiter {
  append: PendingAppend;
  resolve(result: BatchItemResult): void;
  reject(error: unknown): void;
}

export class AppendBatcher {
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private readonly maxBatchItems: number;
  private idleWaiters: (() => void)[] = [];
  private pumpScheduled = false;

  constructor(
    /** Sends one batch and answers one result per append, in order. */
    private readonly sendBatch: (appends: PendingAppend[], holdMs: number) => Promise<BatchItemResult[]>,
    options: AppendBatcherOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 3;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxBatchItems = options.maxBatchItems ?? 500;
  }

  submit(append: PendingAppend): Promise<BatchItemResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ append, resolve, reject });
      this.schedulePump();
    });
  }

  /** Resolves once every submitted append has its answer. */
  async drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Sends on the next turn of the event loop rather than at once: when a batch's
   * answers release many writers together, their next appends all arrive within
   * the same turn and leave as one batch instead of one alone and the rest later.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.schedulePump();
        if (this.inFlight === 0 && this.queue.length === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
    }
  }

  private takeBatch(): Waiter[] {
    const batch: Waiter[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < this.maxBatchItems) {
      const next = this.queue[0]!;
      if (batch.length > 0 && bytes + next.append.bytes > this.maxBatchBytes) break;
      batch.push(this.queue.shift()!);
      bytes += next.append.bytes;
    }
    return batch;
  }

  private async send(batch: Waiter[]): Promise<void> {
    const holdMs = Math.max(...batch.map((waiter) => waiter.append.holdMs));
    try {
      const results = await this.sendBatch(
        batch.map((waiter) => waiter.append),
        holdMs,
      );
      if (results.length !== batch.length)
        throw new Error(`append batch answered ${results.length} results for ${batch.length} appends`);
      batch.forEach((waiter, index) => waiter.resolve(results[index]!));
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  }
}
