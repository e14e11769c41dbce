/**
 * The closed set of errors a decision may throw. Each carries a PROTOCOL.md error
 * `code`, so the gateway and the WebSocket endpoint map them in one place each
 * without knowing which rule failed.
 */

export type DomainErrorCode = 'bad_request' | 'not_found' | 'forbidden' | 'conflict';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command is malformed; `field` names the offending input when there is one. */
export class ValidationError extends DomainError {
  readonly code = 'bad_request';

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * The target does not exist, or the actor may not know that it exists: a
 * non-member acting on a conversation gets this, never `ForbiddenError`.
 */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

/** The actor can see the target but is not allowed to do this to it. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

/** The command contradicts what already exists (a second creation, a reused id). */
export class ConflictError extends DomainError {
  readonly code = 'conflict';
}
