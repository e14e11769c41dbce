/**
 * Given/when/then for deciders: `given(events)` folds the history with `evolve`,
 * `when(command)` decides on the result, `then(events)` compares what was decided
 * and `thenThrows(ErrorClass)` expects the command to be refused.
 *
 *   const spec = deciderSpec(conversationDecider, { now });
 *   spec.given([created]).when(sendMessage).then([messageSent]);
 */
import { expect } from 'vitest';

import type { Decider } from '../decider.js';

export interface DeciderSpec<Command, Event, Context> {
  given(events: readonly Event[]): {
    /** `context` replaces the spec's default context for this command. */
    when(
      command: Command,
      context?: Context,
    ): {
      then(expected: readonly Event[]): void;
      thenThrows<E extends Error>(errorClass: new (...args: never[]) => E, check?: (error: E) => void): void;
    };
  };
}

export function deciderSpec<Command, State, Event, Context>(
  decider: Decider<Command, State, Event, Context>,
  defaultContext: Context,
): DeciderSpec<Command, Event, Context> {
  return {
    given: (events) => ({
      when: (command, context = defaultContext) => {
        const run = (): Event[] => {
          let state = decider.initialState();
          for (const event of events) state = decider.evolve(state, event);
          return decider.decide(command, state, context);
        };
        return {
          then: (expected) => {
            expect(run()).toEqual(expected);
          },
          thenThrows: (errorClass, check) => {
            let thrown: unknown;
            let decided: Event[] | undefined;
            try {
              decided = run();
            } catch (error) {
              thrown = error;
            }
            if (decided) {
              throw new Error(`expected ${errorClass.name}, but decided ${JSON.stringify(decided)}`);
            }
            expect(thrown).toBeInstanceOf(errorClass);
            check?.(thrown as InstanceType<typeof errorClass>);
          },
        };
      },
    }),
  };
}
