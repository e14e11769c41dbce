/**
 * The shapes every aggregate shares. A decider is three plain functions: `decide`
 * turns a command into events (or throws a `DomainError`), `evolve` folds one event
 * into the state, `initialState` is the state of a stream with no events. All I/O,
 * the clock and id generation stay with the caller, which passes them in.
 */

/** An event as the domain sees it: its `type` is its TypeScript name and never changes. */
export interface DomainEventOf<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export interface CommandOf<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export interface Decider<Command, State, Event, Context> {
  decide(command: Command, state: State, context: Context): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}
