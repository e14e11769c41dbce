import type { Account, AccountStore } from '../../infra/accounts/account-store.js';
import type { PasswordHasher } from '../../infra/accounts/password-hasher.js';
import type { Logger } from '../../infra/logging/logger.js';
import { isPlausiblePassword } from './account-fields.js';
import type { Sessions, Tokens } from './sessions.handler.js';

export interface LogInDeps {
  accounts: AccountStore;
  hasher: PasswordHasher;
  sessions: Sessions;
  logger: Logger;
}

export interface LogInCommand {
  /** An email (it has an `@`) or a username, in any case. */
  identifier: string;
  password: string;
}

export interface LoggedIn {
  userId: string;
  tokens: Tokens;
}

function findAccount(accounts: AccountStore, identifier: string): Promise<Account | undefined> {
  const normalized = identifier.trim().toLowerCase();
  // Usernames cannot contain "@", so the two kinds of identifier never collide.
  return normalized.includes('@') ? accounts.findByEmail(normalized) : accounts.findByUsername(normalized);
}

/**
 * LogIn: `undefined` for a wrong pair, whether the account exists or not, after
 * the same amount of hashing either way, so neither the answer nor its timing
 * tells whether an account exists.
 */
export function handleLogIn(deps: LogInDeps) {
  return async (command: LogInCommand): Promise<LoggedIn | undefined> => {
    // No account has such a password: failing at once reveals nothing about accounts.
    if (!isPlausiblePassword(command.password)) return undefined;
    const account = await findAccount(deps.accounts, command.identifier);
    if (!account) {
      await deps.hasher.verifyDummy(command.password);
      return undefined;
    }
    if (!(await deps.hasher.verify(command.password, account.passwordHash))) return undefined;

    if (deps.hasher.needsRehash(account.passwordHash)) {
      // The only moment the password is known: move the hash to the current parameters.
      await deps.accounts.updatePasswordHash(account.userId, await deps.hasher.hash(command.password));
      deps.logger.info({ userId: account.userId }, 'password re-hashed with the current parameters');
    }
    const tokens = await deps.sessions.start({ userId: account.userId, username: account.username });
    return { userId: account.userId, tokens };
  };
}
