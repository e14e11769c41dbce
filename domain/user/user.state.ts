import type { UserEvent } from './user.events.js';

export type UserState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly userId: string;
      readonly username: string;
      readonly displayName: string;
    };

export function initialState(): UserState {
  return { exists: false };
}

/** Small and immutable, unlike a conversation's state: each event yields a new object. */
export function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered': {
      const { userId, username, displayName } = event.data;
      return { exists: true, userId, username, displayName };
    }
    case 'UserProfileUpdated':
      // A stream always starts with UserRegistered; an update before it is ignored.
      return state.exists ? { ...state, displayName: event.data.displayName } : state;
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
