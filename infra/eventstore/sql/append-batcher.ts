/**
 * Group commit: appends submitted while a batch is on its way to the database
 * wait and go together in the next one, so N concurrent writers cost about one
 * transaction instead of N. A lone writer is never delayed: with nothing in
 * flight, its append leaves at once.
 */

export interface PendingAppend {
  /** One batch item as JSON: `{"s": stream, "x": expected, "e": [events]}`. */
  json: string;
  bytes: number;
  /** Test hook: keep the transaction open this long after its writes. */
  holdMs: number;
}

export type BatchItemResult = { r: number; p: string; dup?: true } | { err: string; actual?: number | null };

export interface AppendBatcherOptions {
  /** Batches on their way at once (each on its own connection). Defaults to 2. */
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

  constructor(
    /** Sends one batch (a JSON array of items) and answers one result per item, in order. */
    private readonly sendBatch: (batchJson: string, holdMs: number) => Promise<BatchItemResult[]>,
    options: AppendBatcherOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxBatchItems = options.maxBatchItems ?? 500;
  }

  submit(append: PendingAppend): Promise<BatchItemResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ append, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once every submitted append has its answer. */
  async drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
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
    const json = `[${batch.map((waiter) => waiter.append.json).join(',')}]`;
    const holdMs = Math.max(...batch.map((waiter) => waiter.append.holdMs));
    try {
      const results = await this.sendBatch(json, holdMs);
      if (results.length !== batch.length)
        throw new Error(`append batch answered ${results.length} results for ${batch.length} appends`);
      batch.forEach((waiter, index) => waiter.resolve(results[index]!));
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  }
}
