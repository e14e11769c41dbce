import type { FastifyPluginAsync } from 'fastify';
import type { PasswordResetCodeStore } from '../../commands/accounts/password-reset-codes.js';
import {
  handleConfirmPasswordReset,
  handleRequestPasswordReset,
  type PasswordResetDeps,
} from '../../commands/accounts/password-reset.handler.js';
import { passwordResetRoutes } from '../../gateway/auth/password-reset.routes.js';
import { createRedisPasswordResetCodeStore } from '../../infra/accounts/password-reset-codes.redis.js';
import {
  createSqlPasswordResetCodeStore,
  passwordResetCodesMigrations,
} from '../../infra/accounts/password-reset-codes.sql.js';
import { openMailer } from '../../infra/mail/open-mailer.js';
import { migrate } from '../../infra/sql/migrate.js';
import type { Infrastructure } from '../compose.js';

/**
 * Password reset by mail, wired for the accounts feature: codes in Redis (with a
 * TTL) when `REDIS_URL` is set, else in the accounts database; mail by `SMTP_URL`
 * or to files in embedded mode.
 */
export async function openPasswordReset(
  infra: Pick<Infrastructure, 'config' | 'logger' | 'sql' | 'rateLimits'>,
  stores: Pick<PasswordResetDeps, 'accounts' | 'hasher' | 'refreshTokens'>,
): Promise<{ routes: FastifyPluginAsync; stop(): Promise<void> }> {
  const { config, logger, sql } = infra;
  await migrate(sql, 'password-reset', passwordResetCodesMigrations);
  const codes: PasswordResetCodeStore = config.REDIS_URL
    ? await createRedisPasswordResetCodeStore({
        url: config.REDIS_URL,
        keyPrefix: `${config.REDIS_KEY_PREFIX}password-reset:`,
        logger,
      })
    : createSqlPasswordResetCodeStore(sql);
  const mailer = openMailer(config, logger);
  const deps: PasswordResetDeps = {
    ...stores,
    codes,
    mailer,
    limiter: infra.rateLimits.limiter,
    limitKeyPrefix: config.REDIS_KEY_PREFIX,
    logger,
    codeTtlSeconds: config.PASSWORD_RESET_CODE_TTL_SECONDS,
  };
  return {
    routes: passwordResetRoutes({
      requestPasswordReset: handleRequestPasswordReset(deps),
      confirmPasswordReset: handleConfirmPasswordReset(deps),
    }),
    async stop() {
      await mailer.close();
      await codes.close();
    },
  };
}
