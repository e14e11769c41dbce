import type { FastifyPluginAsync } from 'fastify';
import { handleLogIn } from '../../commands/accounts/log-in.handler.js';
import { handleRegisterAccount } from '../../commands/accounts/register-account.handler.js';
import { createSessions } from '../../commands/accounts/sessions.handler.js';
import type { WaitForPosition } from '../../commands/users/read-your-writes.js';
import { handleUpdateProfile } from '../../commands/users/update-profile.handler.js';
import { signAccessToken } from '../../gateway/auth/access-token.js';
import { authPlugin, withoutEncapsulation } from '../../gateway/auth/auth.plugin.js';
import { authRoutes } from '../../gateway/auth/auth.routes.js';
import { createLoginThrottle } from '../../gateway/auth/login-throttle.js';
import { createMeQuery } from '../../gateway/users/me.query.js';
import { usersRoutes } from '../../gateway/users/users.routes.js';
import { SqlAccountStore } from '../../infra/accounts/account-store.js';
import { accountsMigrations } from '../../infra/accounts/accounts.schema.js';
import { loadOrCreateJwtSecret } from '../../infra/accounts/jwt-secret.js';
import { createScryptPasswordHasher, OWASP_LOG2_N } from '../../infra/accounts/password-hasher.js';
import { SqlRefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { usersProjection } from '../../projections/users/users.projection.js';
import type { Feature, Infrastructure } from '../compose.js';
import { openPasswordReset } from './password-reset.wiring.js';

/** Registered with the projection hub by the feature itself; exported for tests and tools. */
export { usersProjection };

export interface AccountsFeatureOptions {
  /**
   * What commands that change a profile wait on before answering, so every read
   * after the answer sees the change. Defaults to the projection hub's.
   */
  waitForPosition?: WaitForPosition;
  /**
   * log2 of scrypt's N for new password hashes. Defaults to OWASP's 17; tests lower
   * it. Deliberately not an environment variable: no deployment weakens it by accident.
   */
  passwordHashCost?: number;
}

/**
 * Accounts and profiles: registration, sign-in, sessions (access and refresh
 * tokens), `/v1/me` and `/v1/users`. Also registers the auth plugin at the root,
 * which every feature with signed-in routes needs: list this feature before them.
 */
export function accountsFeature(options: AccountsFeatureOptions = {}) {
  return async (infra: Infrastructure): Promise<Feature> => {
    const { config, logger, sql, eventStore, roles } = infra;
    await migrate(sql, 'accounts', accountsMigrations);
    // The runner creates the projection's tables and keeps them current before the server listens.
    infra.projections.register(usersProjection);
    const secret = config.JWT_SECRET ?? (await loadOrCreateJwtSecret(sql));

    const accounts = new SqlAccountStore(sql);
    const refreshTokens = new SqlRefreshTokenStore(sql, { ttlSeconds: config.REFRESH_TOKEN_TTL_SECONDS });
    const hasher = createScryptPasswordHasher({ log2N: options.passwordHashCost ?? OWASP_LOG2_N });
    const waitForPosition = options.waitForPosition ?? infra.projections.waitForPosition;
    const clock = () => new Date();
    const getMe = createMeQuery({ sql, accounts, eventStore });
    // REST only: a realtime or projector process opens no mailer and no code store.
    const passwordReset = roles.has('api')
      ? await openPasswordReset(infra, { accounts, hasher, refreshTokens })
      : undefined;

    const routes: FastifyPluginAsync = async (app) => {
      await app.register(
        authPlugin({
          secret,
          accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
          rateLimits: infra.rateLimits,
          accountExists: async (userId) => (await accounts.findById(userId)) !== undefined,
        }),
      );
      // The WebSocket checks tokens with the auth plugin; the routes below are the REST API's.
      if (!passwordReset) return;
      const sessions = createSessions({
        refreshTokens,
        // Signing needs the JWT plugin, so it exists only from here on.
        signAccessToken: (owner) => signAccessToken(app, { id: owner.userId, username: owner.username }),
        accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        logger,
      });
      await app.register(
        authRoutes({
          registerAccount: handleRegisterAccount({
            accounts,
            hasher,
            eventStore,
            sessions,
            waitForPosition,
            clock,
            logger,
          }),
          logIn: handleLogIn({ accounts, hasher, sessions, logger }),
          sessions,
          getMe,
          throttleLogIn: createLoginThrottle({
            limiter: infra.rateLimits.limiter,
            perAccountPerMinute: config.LOGIN_RATE_LIMIT_PER_ACCOUNT_PER_MINUTE,
            perIpPerMinute: config.LOGIN_RATE_LIMIT_PER_IP_PER_MINUTE,
          }),
        }),
      );
      await app.register(passwordReset.routes);
      await app.register(
        usersRoutes({
          sql,
          getMe,
          updateProfile: handleUpdateProfile({ eventStore, clock, waitForPosition, logger }),
        }),
      );
    };

    // At the root, so the auth plugin's `app.jwt` and `app.authenticate` reach every
    // other feature; the route plugins registered inside keep scopes of their own.
    return {
      routes: withoutEncapsulation(routes, 'parley-accounts'),
      stop: async () => passwordReset?.stop(),
    };
  };
}
