import type { RefreshTokenStore, TokenOwner } from '../../infra/accounts/refresh-token-store.js';
import type { Logger } from '../../infra/logging/logger.js';

/** PROTOCOL.md's `Tokens`. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** The access token's lifetime in seconds. */
  expiresIn: number;
}

/** Mints a signed access token for a user; the gateway's JWT plugin provides it. */
export type SignAccessToken = (owner: TokenOwner) => string;

export interface SessionsDeps {
  refreshTokens: RefreshTokenStore;
  signAccessToken: SignAccessToken;
  accessTokenTtlSeconds: number;
  logger: Logger;
}

export interface Sessions {
  /** A new session (a new refresh token family) for a user who just proved who they are. */
  start(owner: TokenOwner): Promise<Tokens>;
  /** RefreshSession: the next tokens, or `undefined` when the refresh token is not (or no longer) good. */
  refresh(refreshToken: string): Promise<Tokens | undefined>;
  /** EndSession: revokes the refresh token's family. Unknown tokens are ignored. */
  end(refreshToken: string): Promise<void>;
}

export function createSessions(deps: SessionsDeps): Sessions {
  const tokensFor = (owner: TokenOwner, refreshToken: string): Tokens => ({
    accessToken: deps.signAccessToken(owner),
    refreshToken,
    expiresIn: deps.accessTokenTtlSeconds,
  });

  return {
    async start(owner) {
      return tokensFor(owner, await deps.refreshTokens.issue(owner.userId));
    },
    async refresh(refreshToken) {
      const result = await deps.refreshTokens.rotate(refreshToken);
      switch (result.outcome) {
        case 'rotated':
          return tokensFor(result.owner, result.refreshToken);
        case 'reused':
          // A stolen token, or a client that retried a refresh it had already made.
          deps.logger.warn({ userId: result.owner.userId }, 'spent refresh token presented; session revoked');
          return undefined;
        case 'invalid':
          return undefined;
      }
    },
    async end(refreshToken) {
      await deps.refreshTokens.revokeFamily(refreshToken);
    },
  };
}
