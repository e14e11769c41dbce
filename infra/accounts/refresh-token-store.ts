import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SqlClient, SqlExecutor } from '../sql/sql-client.js';

/** Who a refresh token belongs to, for the access token minted beside the next one. */
export interface TokenOwner {
  userId: string;
  username: string;
}

export type RotationResult =
  | { outcome: 'rotated'; owner: TokenOwner; refreshToken: string }
  /** Unknown, expired, or issued to an account that no longer exists. */
  | { outcome: 'invalid' }
  /** Already spent or revoked: its whole family has now been revoked. */
  | { outcome: 'reused'; owner: { userId: string } };

/**
 * Opaque refresh tokens, rotated on every use. Only a SHA-256 hash of each token
 * is stored, so a leaked table cannot be replayed. A family is the chain of tokens
 * one login produced; presenting a spent token is taken as theft (or a client bug)
 * and revokes the family, which ends the session for whoever holds its newest token.
 */
export interface RefreshTokenStore {
  /** Starts a new family for the user and answers its first token. */
  issue(userId: string): Promise<string>;
  /**
   * Spends `token` and answers the next one of its family. Of concurrent calls
   * with the same token exactly one is `rotated`; the others are `reused`.
   */
  rotate(token: string): Promise<RotationResult>;
  /** Revokes the token's whole family. An unknown token is not an error. */
  revokeFamily(token: string): Promise<void>;
  /** Revokes every token of the user, in every family (a password reset ends all sessions). */
  revokeAllOfUser(userId: string): Promise<void>;
}

/** 32 random bytes: guessing one is hopeless, so a fast hash (no salt, no stretching) suffices. */
const TOKEN_BYTES = 32;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export interface SqlRefreshTokenStoreOptions {
  /** How long each token lives after it is issued (each rotation starts a new period). */
  ttlSeconds: number;
}

/** Refresh tokens on the SQL port. Times come from the database clock, one clock for every instance. */
export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(
    private readonly sql: SqlClient,
    private readonly options: SqlRefreshTokenStoreOptions,
  ) {}

  async issue(userId: string): Promise<string> {
    return this.insert(this.sql, userId, randomUUID());
  }

  async rotate(token: string): Promise<RotationResult> {
    const tokenHash = hashToken(token);
    const rotated = await this.sql.transaction(async (tx) => {
      // The condition on used_at makes this the race's referee: a concurrent update
      // of the same row waits for this one, re-checks, and matches nothing.
      const spent = await tx.query<{ family_id: string; user_id: string; username: string }>(
        `update refresh_tokens t set used_at = now()
           from accounts a
          where t.token_hash = $1 and a.user_id = t.user_id
            and t.used_at is null and t.revoked_at is null and t.expires_at > now()
          returning t.family_id, t.user_id, a.username`,
        [tokenHash],
      );
      const row = spent[0];
      if (!row) return undefined;
      const refreshToken = await this.insert(tx, row.user_id, row.family_id);
      return { owner: { userId: row.user_id, username: row.username }, refreshToken };
    });
    if (rotated) return { outcome: 'rotated', ...rotated };

    const known = await this.sql.query<{ family_id: string; user_id: string; spent: boolean }>(
      `select family_id, user_id, (used_at is not null or revoked_at is not null) as spent
         from refresh_tokens where token_hash = $1`,
      [tokenHash],
    );
    const row = known[0];
    if (!row?.spent) return { outcome: 'invalid' };
    await this.sql.query(
      'update refresh_tokens set revoked_at = now() where family_id = $1 and revoked_at is null',
      [row.family_id],
    );
    return { outcome: 'reused', owner: { userId: row.user_id } };
  }

  async revokeFamily(token: string): Promise<void> {
    await this.sql.query(
      `update refresh_tokens set revoked_at = now()
        where family_id = (select family_id from refresh_tokens where token_hash = $1)
          and revoked_at is null`,
      [hashToken(token)],
    );
  }

  async revokeAllOfUser(userId: string): Promise<void> {
    await this.sql.query(
      'update refresh_tokens set revoked_at = now() where user_id = $1 and revoked_at is null',
      [userId],
    );
  }

  private async insert(db: SqlExecutor, userId: string, familyId: string): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    await db.query(
      `insert into refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       values ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [randomUUID(), familyId, userId, hashToken(token), this.options.ttlSeconds],
    );
    return token;
  }
}
