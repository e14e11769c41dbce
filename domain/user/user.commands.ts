import type { CommandOf } from '../decider.js';

export type RegisterUser = CommandOf<
  'RegisterUser',
  { userId: string; username: string; displayName: string }
>;

/** Always about the user whose stream it is: the handler loads the caller's own stream. */
export type UpdateProfile = CommandOf<'UpdateProfile', { displayName: string }>;

export type UserCommand = RegisterUser | UpdateProfile;
