import { NotFoundError } from '../../domain/errors.js';
import { decodeEvent } from '../../domain/events.registry.js';
import type { AccountStore } from '../../infra/accounts/account-store.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { StreamNotFoundError } from '../../infra/eventstore/event-store.errors.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { getUser, type User } from '../../readmodels/users/users.query.js';
import { userStreamName } from '../../commands/users/user-stream.js';
import type { Me } from './users.schemas.js';

export interface MeQueryDeps {
  sql: SqlExecutor;
  accounts: AccountStore;
  eventStore: EventStore;
}

export type GetMe = (userId: string) => Promise<Me>;

/**
 * The profile straight from the user's stream: for the moments the read model has
 * no row yet (a registration whose wait for the projections timed out, or no
 * projection runner in this deployment). A user's stream is a few events long.
 */
async function userFromStream(eventStore: EventStore, userId: string): Promise<User | undefined> {
  let events: RecordedEvent[];
  try {
    events = await eventStore.readStream(userStreamName(userId));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
  let user: User | undefined;
  for (const event of events) {
    const version = typeof event.metadata.schemaVersion === 'number' ? event.metadata.schemaVersion : 1;
    const decoded = decodeEvent(event.type, version, event.data);
    if (decoded.type === 'UserRegistered') {
      const { userId: id, username, displayName, registeredAt } = decoded.data;
      user = { id, username, displayName, createdAt: registeredAt };
    } else if (decoded.type === 'UserProfileUpdated' && user) {
      user = { ...user, displayName: decoded.data.displayName };
    }
  }
  return user;
}

/** `Me` = the public profile (the `users` read model) + the email (the credentials). */
export function createMeQuery(deps: MeQueryDeps): GetMe {
  return async (userId) => {
    const [account, user] = await Promise.all([deps.accounts.findById(userId), getUser(deps.sql, userId)]);
    if (!account) throw new NotFoundError('user not found');
    const profile = user ?? (await userFromStream(deps.eventStore, userId));
    if (!profile) throw new NotFoundError('user not found');
    return { ...profile, email: account.email };
  };
}
