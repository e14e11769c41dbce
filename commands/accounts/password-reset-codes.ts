/**
 * Pending password-reset codes, at most one per account, stored as hashes only.
 * Engines: Redis with a TTL (`REDIS_URL`) and a SQL table otherwise
 * (`infra/accounts/password-reset-codes.*.ts`).
 */
export interface PasswordResetCodeStore {
  /** Replaces the account's pending code (an older one stops working); it lapses after `ttlSeconds`. */
  put(userId: string, codeHash: string, ttlSeconds: number): Promise<void>;
  /** The pending, unexpired code's hash. */
  get(userId: string): Promise<string | undefined>;
  /**
   * Spends the pending code if it is still `codeHash` and unexpired. Of concurrent
   * callers with the same code exactly one gets `true`: a code works once.
   */
  take(userId: string, codeHash: string): Promise<boolean>;
  close(): Promise<void>;
}
