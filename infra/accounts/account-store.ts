import { validate as isUuid } from 'uuid';
import type { SqlExecutor } from '../sql/sql-client.js';

export interface Account {
  userId: string;
  /** Lowercased. */
  email: string;
  /** Lowercased, as in the user's `UserRegistered` event. */
  username: string;
  /** A self-describing hash (`password-hasher.ts`), never the password. */
  passwordHash: string;
  createdAt: Date;
}

export type NewAccount = Omit<Account, 'createdAt'>;

/** Another account already has this email or username. */
export class DuplicateAccountError extends Error {
  constructor(readonly field: 'email' | 'username') {
    super(`an account with this ${field} already exists`);
    this.name = 'DuplicateAccountError';
  }
}

/**
 * The credentials of every user. Uniqueness of email and username is enforced
 * here, by the database, so two concurrent registrations cannot both win.
 */
export interface AccountStore {
  /** Throws `DuplicateAccountError` naming the field that is taken; writes nothing then. */
  create(account: NewAccount): Promise<void>;
  /** Removes an account (and its refresh tokens); a missing one is not an error. */
  delete(userId: string): Promise<void>;
  findById(userId: string): Promise<Account | undefined>;
  /** `email` must already be lowercased. */
  findByEmail(email: string): Promise<Account | undefined>;
  /** `username` must already be lowercased. */
  findByUsername(username: string): Promise<Account | undefined>;
  updatePasswordHash(userId: string, passwordHash: string): Promise<void>;
  /** Which of these ids belong to accounts; ids that are not UUIDs are simply absent. */
  existingUserIds(userIds: readonly string[]): Promise<Set<string>>;
}

interface AccountRow {
  user_id: string;
  email: string;
  username: string;
  password_hash: string;
  created_at: Date;
}

const COLUMNS = 'user_id, email, username, password_hash, created_at';

function toAccount(row: AccountRow): Account {
  return {
    userId: row.user_id,
    email: row.email,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

const UNIQUE_VIOLATION = '23505';
const FIELD_BY_CONSTRAINT: Record<string, DuplicateAccountError['field']> = {
  accounts_email_unique: 'email',
  accounts_username_unique: 'username',
};

/** Both drivers (pg and PGlite) report the violated constraint by name. */
function duplicateField(error: unknown): DuplicateAccountError['field'] | undefined {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  if (code !== UNIQUE_VIOLATION || typeof constraint !== 'string') return undefined;
  return FIELD_BY_CONSTRAINT[constraint];
}

/** The account store on the SQL port: the same statements on PostgreSQL and PGlite. */
export class SqlAccountStore implements AccountStore {
  constructor(private readonly db: SqlExecutor) {}

  async create(account: NewAccount): Promise<void> {
    try {
      await this.db.query(
        'insert into accounts (user_id, email, username, password_hash) values ($1, $2, $3, $4)',
        [account.userId, account.email, account.username, account.passwordHash],
      );
    } catch (error) {
      const field = duplicateField(error);
      if (field) throw new DuplicateAccountError(field);
      throw error;
    }
  }

  async delete(userId: string): Promise<void> {
    await this.db.query('delete from accounts where user_id = $1', [userId]);
  }

  findById(userId: string): Promise<Account | undefined> {
    return this.findOne('user_id', userId);
  }

  findByEmail(email: string): Promise<Account | undefined> {
    return this.findOne('email', email);
  }

  findByUsername(username: string): Promise<Account | undefined> {
    return this.findOne('username', username);
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.db.query('update accounts set password_hash = $2 where user_id = $1', [userId, passwordHash]);
  }

  async existingUserIds(userIds: readonly string[]): Promise<Set<string>> {
    const candidates = userIds.filter((id) => isUuid(id));
    if (candidates.length === 0) return new Set();
    const rows = await this.db.query<{ user_id: string }>(
      'select user_id from accounts where user_id = any($1::uuid[])',
      [candidates],
    );
    return new Set(rows.map((row) => row.user_id));
  }

  private async findOne(
    column: 'user_id' | 'email' | 'username',
    value: string,
  ): Promise<Account | undefined> {
    const rows = await this.db.query<AccountRow>(`select ${COLUMNS} from accounts where ${column} = $1`, [
      value,
    ]);
    return rows[0] && toAccount(rows[0]);
  }
}
