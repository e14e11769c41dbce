import { UndoLog } from '../../domain/undo-log.js';
import { StreamNotFoundError } from '../../infra/eventstore/event-store.errors.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';

/**
 * How events fold into the state, which may be mutated in place and returned. A
 * batch is folded before it is appended, so a failed append must take it back;
 * which of the two is given decides how.
 */
export type StreamFold<State, Event> =
  | {
      /**
       * Folds without recording anything: after a failed append the state is
       * dropped and the whole stream read again (O(stream)).
       */
      evolve(state: State, event: Event): State;
      evolveWithUndo?: undefined;
    }
  | {
      /**
       * Folds and, when given a log, records how to reverse every in-place change:
       * after a failed append the batch is rolled back and only the events after
       * the cached revision are read (O(batch + new tail)).
       */
      evolveWithUndo(state: State, event: Event, undo: UndoLog | undefined): State;
      evolve?: undefined;
    };

export type StateSource<State, Event> = StreamFold<State, Event> & {
  eventStore: EventStore;
  initialState(): State;
  /** Turns a stored event into the domain's current shape (upcasting). */
  decode(recorded: RecordedEvent): Event;
  /**
   * How many entries (messages, members, markers…) a state holds: what it costs to
   * keep cached, roughly in proportion to its memory. Unset: 1 per stream.
   */
  weigh?(state: State): number;
};

const READ_PAGE = 1_000;

/**
 * The decision state of one stream as this node last stored or read it, and the
 * revision it stands at. A batch is folded on it as a draft (`startDraft`, `fold`);
 * a stored draft is kept (`keep`), a failed one taken back (`takeBack`), and the
 * events other nodes appended meanwhile are read before the next decision
 * (`current`). State and revision always move together, so a read that fails
 * halfway resumes where it stopped.
 */
export class CachedStreamState<State, Event> {
  private state: State | undefined;
  /** Revision of the last event folded into `state`; -1 for a stream with no events. */
  revision = -1;
  /** Global position of that event; 0n for a stream with no events. */
  position = 0n;
  /** The store may hold events after `revision`: read them before deciding. */
  private behind = false;

  constructor(
    private readonly stream: string,
    private readonly source: StateSource<State, Event>,
  ) {}

  /** The state to decide on: cached, read from `revision + 1` when behind, or the whole stream when not cached. */
  async current(): Promise<State> {
    if (this.state !== undefined && !this.behind) return this.state;
    if (this.state === undefined) {
      this.state = this.source.initialState();
      this.revision = -1;
      this.position = 0n;
    }
    this.behind = true; // until the last page is folded
    for (;;) {
      let page: RecordedEvent[];
      try {
        page = await this.source.eventStore.readStream(this.stream, {
          fromRevision: this.revision + 1,
          maxCount: READ_PAGE,
        });
      } catch (error) {
        if (error instanceof StreamNotFoundError) break;
        throw error;
      }
      for (const recorded of page) {
        const event = this.source.decode(recorded);
        try {
          this.state = this.fold(this.state, event, undefined);
        } catch (error) {
          this.drop(); // half folded: only a full read can be trusted again
          throw error;
        }
        this.revision = recorded.revision;
        this.position = recorded.position;
      }
      if (page.length < READ_PAGE) break;
    }
    this.behind = false;
    return this.state;
  }

  /** What keeping this state costs (see `StateSource.weigh`); 0 when nothing is cached. */
  weight(): number {
    if (this.state === undefined) return 0;
    return this.source.weigh ? this.source.weigh(this.state) : 1;
  }

  /** Other nodes may have appended: read after `revision` before the next decision. */
  markBehind(): void {
    if (this.state !== undefined) this.behind = true;
  }

  /** An undo log for a batch's draft, or none when the fold cannot record one. */
  startDraft(): UndoLog | undefined {
    return this.source.evolveWithUndo ? new UndoLog() : undefined;
  }

  fold(state: State, event: Event, undo: UndoLog | undefined): State {
    return this.source.evolveWithUndo
      ? this.source.evolveWithUndo(state, event, undo)
      : this.source.evolve(state, event);
  }

  /** The draft's events are stored: it is the state at `revision` (global `position`) now. */
  keep(draft: State, revision: number, position: bigint): void {
    this.state = draft;
    this.revision = revision;
    this.position = position;
  }

  /**
   * Takes back a draft whose events were not stored, returning to `before` (what
   * `current()` gave). `storeMayHaveMore`: the append met newer events or failed
   * in a way that may have stored it, so read after `revision` next time.
   */
  takeBack(before: State, undo: UndoLog | undefined, storeMayHaveMore: boolean): void {
    if (!undo) {
      this.drop(); // folded in place with nothing to undo it
      return;
    }
    undo.rollback();
    this.state = before;
    this.behind ||= storeMayHaveMore;
  }

  private drop(): void {
    this.state = undefined;
    this.revision = -1;
    this.position = 0n;
    this.behind = false;
  }
}
