import { NotFoundError } from '../../domain/errors.js';
import { userDecider } from '../../domain/user/user.decider.js';
import { evolve, type UserState } from '../../domain/user/user.state.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { WrongExpectedVersionError } from '../../infra/eventstore/event-store.errors.js';
import type { Logger } from '../../infra/logging/logger.js';
import { awaitReadModels, type WaitForPosition } from './read-your-writes.js';
import { loadUser, toEventToAppend, userStreamName } from './user-stream.js';

export interface UpdateProfileDeps {
  eventStore: EventStore;
  clock: () => Date;
  waitForPosition: WaitForPosition;
  logger: Logger;
}

export interface UpdateProfileCommand {
  userId: string;
  /** Omitted: nothing to change. */
  displayName?: string;
}

export type Profile = Extract<UserState, { exists: true }>;

/** Two writers racing on one profile are rare; a few reloads settle it. */
const MAX_ATTEMPTS = 3;

/**
 * UpdateProfile: load the user's stream, decide, append expecting the revision
 * that was read, and reload on a concurrent write. Answers the profile as it
 * stands after the command, once the read models include it.
 */
export function handleUpdateProfile(deps: UpdateProfileDeps) {
  return async (command: UpdateProfileCommand, correlationId?: string): Promise<Profile> => {
    for (let attempt = 1; ; attempt += 1) {
      const { state, revision } = await loadUser(deps.eventStore, command.userId);
      if (!state.exists) throw new NotFoundError('user not found');
      if (command.displayName === undefined) return state;
      const events = userDecider.decide(
        { type: 'UpdateProfile', data: { displayName: command.displayName } },
        state,
        { now: deps.clock() },
      );
      if (events.length === 0) return state;
      let position: bigint;
      try {
        ({ position } = await deps.eventStore.appendToStream(
          userStreamName(command.userId),
          events.map((event) => toEventToAppend(event, { actorId: command.userId, correlationId })),
          { expectedRevision: revision },
        ));
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
      await awaitReadModels(deps.waitForPosition, position, deps.logger);
      // Profile events never un-register a user, so the state still exists.
      return events.reduce<UserState>(evolve, state) as Profile;
    }
  };
}
