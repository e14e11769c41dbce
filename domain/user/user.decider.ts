/**
 * The user profile decider. Username uniqueness needs every user's name, so the
 * command handler checks it (against the credentials table) before deciding.
 */
import type { Decider } from '../decider.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { normalizeDisplayName, normalizeUsername } from './profile-fields.js';
import type { RegisterUser, UpdateProfile, UserCommand } from './user.commands.js';
import type { UserEvent, UserProfileUpdated, UserRegistered } from './user.events.js';
import { evolve, initialState, type UserState } from './user.state.js';

export interface UserContext {
  now: Date;
}

export function registerUser({ data: command }: RegisterUser, state: UserState, now: Date): UserRegistered[] {
  if (state.exists) throw new ConflictError('user already registered');
  return [
    {
      type: 'UserRegistered',
      data: {
        userId: command.userId,
        username: normalizeUsername(command.username),
        displayName: normalizeDisplayName(command.displayName),
        registeredAt: now.toISOString(),
      },
    },
  ];
}

/** The same display name writes nothing. */
export function updateProfile(
  { data: command }: UpdateProfile,
  state: UserState,
  now: Date,
): UserProfileUpdated[] {
  if (!state.exists) throw new NotFoundError('user not found');
  const displayName = normalizeDisplayName(command.displayName);
  if (displayName === state.displayName) return [];
  return [{ type: 'UserProfileUpdated', data: { displayName, updatedAt: now.toISOString() } }];
}

export function decide(command: UserCommand, state: UserState, { now }: UserContext): UserEvent[] {
  switch (command.type) {
    case 'RegisterUser':
      return registerUser(command, state, now);
    case 'UpdateProfile':
      return updateProfile(command, state, now);
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
}

export { evolve, initialState };

export const userDecider: Decider<UserCommand, UserState, UserEvent, UserContext> = {
  decide,
  evolve,
  initialState,
};
