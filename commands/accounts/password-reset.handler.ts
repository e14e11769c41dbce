import { randomInt } from 'node:crypto';
import type { AccountStore } from '../../infra/accounts/account-store.js';
import type { PasswordHasher } from '../../infra/accounts/password-hasher.js';
import type { RefreshTokenStore } from '../../infra/accounts/refresh-token-store.js';
import type { Logger } from '../../infra/logging/logger.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import type { RateLimiter } from '../../infra/ratelimit/rate-limiter.js';
import { ValidationError } from '../../domain/errors.js';
import { checkPassword, normalizeEmail } from './account-fields.js';
import type { PasswordResetCodeStore } from './password-reset-codes.js';

/** How long a mailed code works, unless the deployment says otherwise. */
export const RESET_CODE_TTL_SECONDS = 15 * 60;
/** 8 digits: 10^8 codes against at most a few guesses a minute for 15 minutes. */
const CODE_DIGITS = 8;

/**
 * Limits per one-minute window (the rate limiter's). Requests are limited because
 * each sends a mail; confirmations because each is a guess at the code.
 */
export const RESET_LIMITS = {
  requestsPerAccount: 3,
  requestsPerIp: 10,
  confirmationsPerAccount: 5,
  confirmationsPerIp: 20,
} as const;

export interface PasswordResetDeps {
  accounts: AccountStore;
  hasher: PasswordHasher;
  codes: PasswordResetCodeStore;
  refreshTokens: Pick<RefreshTokenStore, 'revokeAllOfUser'>;
  mailer: Mailer;
  limiter: RateLimiter;
  /** Prefix of the limiter's keys, so deployments sharing a Redis keep apart. */
  limitKeyPrefix: string;
  logger: Logger;
  /** How long a mailed code works; RESET_CODE_TTL_SECONDS unless given. */
  codeTtlSeconds?: number;
  /** Tests replace it; defaults to a uniform random 8-digit code. */
  generateCode?: () => string;
}

export type ResetOutcome = { outcome: 'done' } | { outcome: 'throttled'; retryAfterSeconds: number };

export interface RequestPasswordReset {
  email: string;
  ip: string;
}

export interface ConfirmPasswordReset {
  email: string;
  code: string;
  newPassword: string;
  ip: string;
}

const WRONG_CODE = 'the code is wrong, already used or expired';

function randomCode(): string {
  return randomInt(0, 10 ** CODE_DIGITS)
    .toString()
    .padStart(CODE_DIGITS, '0');
}

function resetMailText(code: string, ttlSeconds: number): string {
  return [
    'Someone (hopefully you) asked to reset the password of your Parley account.',
    '',
    `Your code: ${code}`,
    '',
    `It works once, for ${lifetimeInWords(ttlSeconds)}. If you did not ask, ignore this mail:`,
    'your password stays as it is.',
  ].join('\n');
}

function lifetimeInWords(seconds: number): string {
  if (seconds % 60 !== 0) return `${seconds} seconds`;
  return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
}

/** Counts one hit on every key; the first one over its limit decides. */
async function throttle(deps: PasswordResetDeps, hits: [string, number][]): Promise<ResetOutcome> {
  for (const [key, limit] of hits) {
    const decision = await deps.limiter.hit(`${deps.limitKeyPrefix}${key}`, limit);
    if (!decision.allowed) return { outcome: 'throttled', retryAfterSeconds: decision.retryAfterSeconds };
  }
  return { outcome: 'done' };
}

/** Lowercased when valid, else undefined: an invalid address simply matches no account. */
function emailOrUndefined(email: string): string | undefined {
  try {
    return normalizeEmail(email);
  } catch {
    return undefined;
  }
}

/**
 * RequestPasswordReset: `done` whether or not the account exists. The same scrypt
 * work is spent either way, and the mail leaves in the background, so neither the
 * answer nor its timing tells whether an account has this email.
 */
export function handleRequestPasswordReset(deps: PasswordResetDeps) {
  const generateCode = deps.generateCode ?? randomCode;
  const ttlSeconds = deps.codeTtlSeconds ?? RESET_CODE_TTL_SECONDS;
  return async (command: RequestPasswordReset): Promise<ResetOutcome> => {
    const email = emailOrUndefined(command.email);
    const limited = await throttle(deps, [
      [`pwreset:request:ip:${command.ip}`, RESET_LIMITS.requestsPerIp],
      [`pwreset:request:email:${email ?? command.email}`, RESET_LIMITS.requestsPerAccount],
    ]);
    if (limited.outcome === 'throttled') return limited;

    const account = email ? await deps.accounts.findByEmail(email) : undefined;
    const code = generateCode();
    const codeHash = await deps.hasher.hash(code);
    if (!account) return { outcome: 'done' };

    await deps.codes.put(account.userId, codeHash, ttlSeconds);
    const mail = {
      to: account.email,
      subject: 'Your Parley password reset code',
      text: resetMailText(code, ttlSeconds),
    };
    void deps.mailer
      .send({ ...mail, idempotencyKey: `password-reset-${account.userId}-${Date.now()}` })
      .then(() => deps.logger.info({ userId: account.userId }, 'password reset code mailed'))
      .catch((error: unknown) =>
        deps.logger.error({ err: error, userId: account.userId }, 'password reset mail failed'),
      );
    return { outcome: 'done' };
  };
}

/**
 * ConfirmPasswordReset: spends the code, sets the new password and revokes every
 * refresh token of the account. A wrong, spent or expired code (or an unknown
 * email) is one `ValidationError`, after the same hashing.
 */
export function handleConfirmPasswordReset(deps: PasswordResetDeps) {
  return async (command: ConfirmPasswordReset): Promise<ResetOutcome> => {
    checkPassword(command.newPassword);
    const email = emailOrUndefined(command.email);
    const limited = await throttle(deps, [
      [`pwreset:confirm:ip:${command.ip}`, RESET_LIMITS.confirmationsPerIp],
      [`pwreset:confirm:email:${email ?? command.email}`, RESET_LIMITS.confirmationsPerAccount],
    ]);
    if (limited.outcome === 'throttled') return limited;

    const account = email ? await deps.accounts.findByEmail(email) : undefined;
    const codeHash = account && (await deps.codes.get(account.userId));
    if (!account || !codeHash) {
      await deps.hasher.verifyDummy(command.code);
      throw new ValidationError(WRONG_CODE, 'code');
    }
    const matches = await deps.hasher.verify(command.code.trim(), codeHash);
    if (!matches || !(await deps.codes.take(account.userId, codeHash))) {
      throw new ValidationError(WRONG_CODE, 'code');
    }
    await deps.accounts.updatePasswordHash(account.userId, await deps.hasher.hash(command.newPassword));
    // After the new hash: a session refreshed in between still dies here.
    await deps.refreshTokens.revokeAllOfUser(account.userId);
    deps.logger.info({ userId: account.userId }, 'password reset');
    return { outcome: 'done' };
  };
}
