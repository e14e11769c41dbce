import type { PasswordResetCodeStore } from '../../commands/accounts/password-reset-codes.js';
import type { Migration } from '../sql/migrate.js';
import type { SqlExecutor } from '../sql/sql-client.js';

/** One row per account with a pending code; it goes with the account. */
export const passwordResetCodesMigrations: Migration[] = [
  {
    id: '001-password-reset-codes',
    sql: `
      create table password_reset_codes (
        user_id uuid primary key references accounts (user_id) on delete cascade,
        code_hash text not null,
        expires_at timestamptz not null
      );
    `,
  },
];

/** Codes in the accounts database; expiry is checked against the database clock. */
export function createSqlPasswordResetCodeStore(db: SqlExecutor): PasswordResetCodeStore {
  return {
    async put(userId, codeHash, ttlSeconds) {
      await db.query(
        `insert into password_reset_codes (user_id, code_hash, expires_at)
         values ($1, $2, now() + make_interval(secs => $3))
         on conflict (user_id) do update set code_hash = excluded.code_hash, expires_at = excluded.expires_at`,
        [userId, codeHash, ttlSeconds],
      );
    },
    async get(userId) {
      const rows = await db.query<{ code_hash: string }>(
        'select code_hash from password_reset_codes where user_id = $1 and expires_at > now()',
        [userId],
      );
      return rows[0]?.code_hash;
    },
    async take(userId, codeHash) {
      // The delete is the race's referee: a second one finds no row.
      const rows = await db.query(
        `delete from password_reset_codes
          where user_id = $1 and code_hash = $2 and expires_at > now() returning user_id`,
        [userId, codeHash],
      );
      return rows.length === 1;
    },
    async close() {},
  };
}
