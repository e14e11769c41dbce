import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../domain/errors.js';
import { normalizeDisplayName, normalizeUsername } from '../../domain/user/profile-fields.js';
import { userDecider } from '../../domain/user/user.decider.js';
import type { UserRegistered } from '../../domain/user/user.events.js';
import { DuplicateAccountError, type AccountStore } from '../../infra/accounts/account-store.js';
import type { PasswordHasher } from '../../infra/accounts/password-hasher.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import { awaitReadModels, type WaitForPosition } from '../users/read-your-writes.js';
import { toEventToAppend, userStreamName } from '../users/user-stream.js';
import { checkPassword, normalizeEmail } from './account-fields.js';
import type { Sessions, Tokens } from './sessions.handler.js';

export interface RegisterAccountDeps {
  accounts: AccountStore;
  hasher: PasswordHasher;
  eventStore: EventStore;
  sessions: Sessions;
  waitForPosition: WaitForPosition;
  clock: () => Date;
  /** Defaults to random UUIDs. */
  newUserId?: () => string;
  logger: Logger;
}

export interface RegisterAccountCommand {
  email: string;
  username: string;
  password: string;
  displayName: string;
}

export interface RegisteredAccount {
  email: string;
  /** The profile exactly as the appended event states it. */
  profile: UserRegistered['data'];
  tokens: Tokens;
}

/**
 * RegisterAccount: the credentials row first, because the database is what makes
 * email and username unique; then the `UserRegistered` event. The two cannot share
 * a transaction (the event store may be another engine), so a failed append
 * deletes the row again: the account either exists with its event or not at all,
 * and a retry can succeed.
 */
export function handleRegisterAccount(deps: RegisterAccountDeps) {
  const newUserId = deps.newUserId ?? randomUUID;

  return async (command: RegisterAccountCommand, correlationId?: string): Promise<RegisteredAccount> => {
    // Every field is checked before the expensive hash and before anything is written.
    const email = normalizeEmail(command.email);
    const username = normalizeUsername(command.username);
    normalizeDisplayName(command.displayName);
    checkPassword(command.password);

    const userId = newUserId();
    const [registered] = userDecider.decide(
      { type: 'RegisterUser', data: { userId, username, displayName: command.displayName } },
      userDecider.initialState(),
      { now: deps.clock() },
    );
    if (registered?.type !== 'UserRegistered')
      throw new Error('registering a user must yield UserRegistered');

    const passwordHash = await deps.hasher.hash(command.password);
    try {
      await deps.accounts.create({ userId, email, username, passwordHash });
    } catch (error) {
      if (error instanceof DuplicateAccountError) {
        throw new ConflictError(`${error.field} is already taken`);
      }
      throw error;
    }

    let position: bigint;
    try {
      ({ position } = await deps.eventStore.appendToStream(
        userStreamName(userId),
        [toEventToAppend(registered, { actorId: userId, correlationId })],
        { expectedRevision: 'no_stream' },
      ));
    } catch (error) {
      await deps.accounts.delete(userId).catch((cleanupError: unknown) => {
        // The username and email stay taken until someone removes the row by hand.
        deps.logger.error(
          { err: cleanupError, userId },
          'could not remove the account of a failed registration',
        );
      });
      throw error;
    }

    const [tokens] = await Promise.all([
      deps.sessions.start({ userId, username }),
      awaitReadModels(deps.waitForPosition, position, deps.logger),
    ]);
    return { email, profile: registered.data, tokens };
  };
}
