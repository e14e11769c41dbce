/**
 * One database session that can hold a session-level advisory lock. The lock lives
 * exactly as long as the session: when the connection dies the database releases
 * it, so a holder must assume it is gone the moment `lost` resolves or `ping` fails.
 */
export interface AdvisoryLockSession {
  /** Tries once, without waiting: true when this session holds the lock now. */
  tryLock(): Promise<boolean>;
  /** A round trip on this session; rejects when it is broken (and the lock with it). */
  ping(): Promise<void>;
  /** Resolves when the connection is known to be lost. */
  readonly lost: Promise<void>;
  /** Releases the lock if held and closes the session. Never rejects. */
  close(): Promise<void>;
}

export type OpenAdvisoryLockSession = () => Promise<AdvisoryLockSession>;
