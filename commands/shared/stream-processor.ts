import { WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import type { EventToAppend, JsonObject } from '../../infra/eventstore/event-store.js';
import { CachedStreamState, type StateSource } from './cached-stream-state.js';

export type { StreamFold } from './cached-stream-state.js';

/** Where one command's events landed: what its caller needs to answer and to wait for read models. */
export interface Commit {
  /** Global position of the last event of the batch that carried this command (0n when nothing was written). */
  position: bigint;
  /** Stream revision of this command's last event, or the stream's revision when it wrote nothing. */
  revision: number;
  /**
   * Global position of the stream's last event as the decision saw it (0n for an
   * empty stream): what a command that wrote nothing (a retry) waits for, so its
   * answer can be read back even when the original's was lost.
   */
  streamPosition: bigint;
}

/** A decision against the current state: the events to append and how to answer once they are stored. */
export interface Decision<Event, Result> {
  events: Event[];
  answer(commit: Commit): Result;
}

export type StreamProcessorOptions<State, Event> = StateSource<State, Event> & {
  /** Turns a decided event into what the store appends (id, metadata). */
  encode(event: Event, metadata: JsonObject): EventToAppend;
  /** Streams whose state stays cached (least recently used go first). Defaults to 10,000. */
  cacheSize?: number;
  /**
   * Entries (see `weigh`) the cached states may hold together; past it the least
   * recently used idle streams go first. Bounds the cache's memory whatever the
   * streams' lengths. Defaults to 1,000,000.
   */
  cacheEntries?: number;
  /** Conflicts retried before giving up. Defaults to 10. */
  maxConflictRetries?: number;
};

interface Pending<State, Event> {
  decide(state: State): Decision<Event, unknown>;
  metadata: JsonObject;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  conflicts: number;
}

interface StreamEntry<State, Event> {
  cached: CachedStreamState<State, Event>;
  queue: Pending<State, Event>[];
  running: boolean;
  /** `cached.weight()` when last measured, counted in `cachedEntries`. */
  weight: number;
}

const MAX_COMMANDS_PER_APPEND = 500;

/**
 * Runs the commands of each stream one batch at a time, and every command that
 * arrives while a batch is being appended joins the next one: they are decided in
 * order against the evolving state and appended together (group commit per
 * stream). A hot conversation costs one append per batch, not one per message.
 *
 * The decision state stays cached, so a command costs the same in a stream of
 * 100 events and of a million. Domain states evolve in place, so a batch whose
 * append failed has left its events in the state: with `evolveWithUndo` the batch
 * is rolled back, the events other nodes appended since the cached revision are
 * read and folded, and the batch is decided again; with plain `evolve` the state
 * is dropped and the whole stream read again.
 */
export class StreamProcessor<State, Event> {
  private readonly streams = new Map<string, StreamEntry<State, Event>>();
  private readonly cacheSize: number;
  private readonly cacheEntries: number;
  /** The weights of the cached states, summed. */
  private cachedEntries = 0;
  private readonly maxConflictRetries: number;

  constructor(private readonly options: StreamProcessorOptions<State, Event>) {
    this.cacheSize = options.cacheSize ?? 10_000;
    this.cacheEntries = options.cacheEntries ?? 1_000_000;
    this.maxConflictRetries = options.maxConflictRetries ?? 10;
  }

  /** Decides and appends one command; resolves with its answer once its events are stored. */
  execute<Result>(
    stream: string,
    decide: (state: State) => Decision<Event, Result>,
    metadata: JsonObject = {},
  ): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const entry = this.entry(stream);
      entry.queue.push({
        decide,
        metadata,
        resolve: resolve,
        reject,
        conflicts: 0,
      });
      if (!entry.running) void this.run(stream, entry);
    });
  }

  /**
   * Reads the committed state between batches (never a batch's uncommitted draft).
   * An append would notice a stale cache by its expected revision; a read would
   * not, so it first reads whatever other nodes appended since (the tail only).
   */
  read<Result>(stream: string, look: (state: State, revision: number) => Result): Promise<Result> {
    this.entry(stream).cached.markBehind();
    return this.execute(stream, (state) => ({
      events: [],
      answer: (commit) => look(state, commit.revision),
    }));
  }

  private entry(stream: string): StreamEntry<State, Event> {
    let entry = this.streams.get(stream);
    if (entry) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.streams.delete(stream);
    } else {
      entry = {
        cached: new CachedStreamState(stream, this.options),
        queue: [],
        running: false,
        weight: 0,
      };
    }
    this.streams.set(stream, entry);
    this.evictIdle(stream);
    return entry;
  }

  /**
   * Drops idle streams, least recently used first, while the cache holds too many
   * streams or entries. `inUse` stays whatever its weight: a conversation larger
   * than the budget still decides from its cache while commands keep coming to it,
   * rather than being read whole for each one.
   */
  private evictIdle(inUse: string): void {
    for (const [stream, entry] of this.streams) {
      if (!this.overBudget()) return;
      // A stream with commands waiting is running: `run` drains its queue before it ends.
      if (stream === inUse || entry.running) continue;
      this.streams.delete(stream);
      this.cachedEntries -= entry.weight;
    }
  }

  private overBudget(): boolean {
    return this.streams.size > this.cacheSize || this.cachedEntries > this.cacheEntries;
  }

  private async run(stream: string, entry: StreamEntry<State, Event>): Promise<void> {
    entry.running = true;
    try {
      while (entry.queue.length > 0) {
        const batch = entry.queue.splice(0, MAX_COMMANDS_PER_APPEND);
        await this.runBatch(stream, entry, batch);
      }
    } finally {
      entry.running = false;
      this.reweigh(stream, entry);
    }
  }

  /** Every change to a cached state happens inside `run`: its weight is counted again after. */
  private reweigh(stream: string, entry: StreamEntry<State, Event>): void {
    const weight = entry.cached.weight();
    this.cachedEntries += weight - entry.weight;
    entry.weight = weight;
    this.evictIdle(stream);
  }

  private async runBatch(stream: string, entry: StreamEntry<State, Event>, batch: Pending<State, Event>[]) {
    const { cached } = entry;
    let before: State;
    try {
      before = await cached.current();
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    const undo = cached.startDraft();
    let state = before;
    const decided: {
      pending: Pending<State, Event>;
      decision: Decision<Event, unknown>;
      lastIndex: number;
    }[] = [];
    const toAppend: EventToAppend[] = [];
    try {
      for (const pending of batch) {
        let decision: Decision<Event, unknown>;
        try {
          decision = pending.decide(state);
        } catch (error) {
          pending.reject(error); // a rejected command changed nothing: decide never mutates
          continue;
        }
        for (const event of decision.events) {
          state = cached.fold(state, event, undo);
          toAppend.push(this.options.encode(event, pending.metadata));
        }
        decided.push({ pending, decision, lastIndex: toAppend.length - 1 });
      }
    } catch (error) {
      // A fold or an encode threw (a bug, not a rule): nothing of the batch is stored.
      cached.takeBack(before, undo, false);
      for (const pending of batch) pending.reject(error);
      return;
    }
    if (toAppend.length === 0) {
      for (const { pending, decision } of decided) {
        settle(pending, () =>
          decision.answer({ position: 0n, revision: cached.revision, streamPosition: cached.position }),
        );
      }
      return;
    }

    const base = cached.revision;
    try {
      const result = await this.options.eventStore.appendToStream(stream, toAppend, {
        expectedRevision: base < 0 ? 'no_stream' : base,
      });
      cached.keep(state, result.nextRevision, result.position);
      for (const { pending, decision, lastIndex } of decided) {
        settle(pending, () =>
          decision.answer({
            position: result.position,
            revision: base + 1 + lastIndex,
            streamPosition: result.position,
          }),
        );
      }
    } catch (error) {
      // Another node appended (a conflict), or the store failed and may or may not
      // have written the batch: either way, read what it holds after `base` next time.
      cached.takeBack(before, undo, true);
      if (error instanceof WrongExpectedVersionError) {
        const retry = decided
          .map(({ pending }) => pending)
          .filter((pending) => ++pending.conflicts <= this.maxConflictRetries);
        for (const { pending } of decided) {
          if (pending.conflicts > this.maxConflictRetries) pending.reject(error);
        }
        entry.queue.unshift(...retry);
        return;
      }
      for (const { pending } of decided) pending.reject(error);
    }
  }
}

function settle(
  pending: { resolve(value: unknown): void; reject(error: unknown): void },
  answer: () => unknown,
) {
  try {
    pending.resolve(answer());
  } catch (error) {
    pending.reject(error);
  }
}
