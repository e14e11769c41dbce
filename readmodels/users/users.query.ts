import { isStorableText } from '../../domain/code-points.js';
import { isUuid } from '../../domain/uuid.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';

/** PROTOCOL.md's `User`: the public profile, never the email. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  /** ISO-8601. */
  createdAt: string;
}

export const defaultSearchLimit = 20;
export const maxSearchLimit = 100;

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
}

const COLUMNS = 'id, username, display_name, created_at';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    createdAt: row.created_at.toISOString(),
  };
}

/** `undefined` when there is no such user, including for an id that is not a UUID. */
export async function getUser(db: SqlExecutor, id: string): Promise<User | undefined> {
  if (!isUuid(id)) return undefined;
  const rows = await db.query<UserRow>(`select ${COLUMNS} from users where id = $1`, [id]);
  return rows[0] && toUser(rows[0]);
}

/** `%`, `_` and the escape character itself match literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Users whose username or display name starts with `q`, ignoring case, ordered by
 * username. An empty `q` lists everyone by username. `limit` is clamped to 1…100.
 */
export async function searchUsers(db: SqlExecutor, q: string, limit = defaultSearchLimit): Promise<User[]> {
  const bounded = Number.isFinite(limit)
    ? Math.min(Math.max(Math.trunc(limit), 1), maxSearchLimit)
    : defaultSearchLimit;
  const prefix = q.trim().toLowerCase();
  // No stored name holds NUL or a lone surrogate, and PostgreSQL refuses NUL in a query.
  if (!isStorableText(prefix)) return [];
  if (prefix === '') {
    const rows = await db.query<UserRow>(`select ${COLUMNS} from users order by username limit $1`, [
      bounded,
    ]);
    return rows.map(toUser);
  }
  const rows = await db.query<UserRow>(
    `select ${COLUMNS} from users
      where username like $1 escape '\\' or lower(display_name) like $1 escape '\\'
      order by username limit $2`,
    [`${escapeLike(prefix)}%`, bounded],
  );
  return rows.map(toUser);
}
