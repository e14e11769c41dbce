import { EventStoreUnavailableError } from '../../infra/eventstore/event-store.errors.js';
import { isConnectionError } from '../../infra/sql/sql-client.js';

/**
 * A failure of the projection `projection` on `event`, raised out of a batch so
 * that the runner knows whom to blame (and counts that try as the first attempt).
 */
export class ProjectionApplyError extends Error {
  override readonly name = 'ProjectionApplyError';

  constructor(
    readonly projection: string,
    readonly position: bigint,
    override readonly cause: unknown,
  ) {
    super(`projection ${projection} failed at position ${position}`, { cause });
  }
}

/**
 * "The database or the store is unreachable right now": retried until it comes
 * back, never held against the event (parking it would lose a good event).
 */
export function isTransientFailure(error: unknown): boolean {
  const cause = error instanceof ProjectionApplyError ? error.cause : error;
  return cause instanceof EventStoreUnavailableError || isConnectionError(cause);
}
