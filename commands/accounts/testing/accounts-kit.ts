/** What the accounts handlers' specs share: a throw-away database, a cheap hasher, a log to read. */
import { Writable } from 'node:stream';
import { SqlAccountStore } from '../../../infra/accounts/account-store.js';
import { accountsMigrations } from '../../../infra/accounts/accounts.schema.js';
import { createScryptPasswordHasher, type PasswordHasher } from '../../../infra/accounts/password-hasher.js';
import { passwordResetCodesMigrations } from '../../../infra/accounts/password-reset-codes.sql.js';
import { openTestSql } from '../../../infra/sql/testing/sql-engines.js';
import { createLogger, type Logger } from '../../../infra/logging/logger.js';
import { migrate } from '../../../infra/sql/migrate.js';
import type { SqlClient } from '../../../infra/sql/sql-client.js';

/** N = 2^4: a hash costs microseconds, and the format and code paths are the production ones. */
export const TEST_HASH_COST = 4;

export function cheapHasher(log2N = TEST_HASH_COST): PasswordHasher {
  return createScryptPasswordHasher({ log2N });
}

export interface AccountsDb {
  sql: SqlClient;
  accounts: SqlAccountStore;
  close(): Promise<void>;
}

/**
 * A fresh database on the test PostgreSQL with the accounts and password-reset
 * tables, as the accounts feature migrates them. Not PGlite: starting one costs
 * seconds, and Stryker starts the specs over for every mutant.
 */
export async function openAccountsDb(): Promise<AccountsDb> {
  const { sql, close } = await openTestSql('postgres', 'accounts');
  await migrate(sql, 'accounts', accountsMigrations);
  await migrate(sql, 'password-reset', passwordResetCodesMigrations);
  return { sql, accounts: new SqlAccountStore(sql), close };
}

export interface LogEntry {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels, for readable assertions. */
export const LOG_LEVEL = { info: 30, warn: 40, error: 50 } as const;

/** A real pino logger whose lines land in `entries`, parsed. */
export function captureLogs(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) entries.push(JSON.parse(line) as LogEntry);
      }
      done();
    },
  });
  return { logger: createLogger('info', sink), entries };
}

export interface HasherCalls {
  hash: number;
  verify: number;
  verifyDummy: number;
}

/**
 * The real hasher, counting its calls: the handlers promise the same hashing work
 * whether or not an account exists, and counting scrypt runs proves it without
 * measuring time.
 */
export function countingHasher(inner: PasswordHasher = cheapHasher()): {
  hasher: PasswordHasher;
  calls: HasherCalls;
} {
  const calls: HasherCalls = { hash: 0, verify: 0, verifyDummy: 0 };
  return {
    calls,
    hasher: {
      hash(password) {
        calls.hash += 1;
        return inner.hash(password);
      },
      verify(password, encoded) {
        calls.verify += 1;
        return inner.verify(password, encoded);
      },
      needsRehash: (encoded) => inner.needsRehash(encoded),
      verifyDummy(password) {
        calls.verifyDummy += 1;
        return inner.verifyDummy(password);
      },
    },
  };
}
