import { ConflictError, NotFoundError } from '../../domain/errors.js';

/** No projection of that name is registered: nothing to rebuild or replay. */
export class UnknownProjectionError extends NotFoundError {
  constructor(readonly projection: string) {
    super(`no projection named ${projection}`);
  }
}

/** A rebuild of this projection is already running, in this process or another one on the same database. */
export class RebuildInProgressError extends ConflictError {
  constructor(readonly projection: string) {
    super(`projection ${projection} is already being rebuilt`);
  }
}

/**
 * The projection keeps its state outside the read-model database (Redis, say) and
 * cannot build a next version of it either (no `rebuildTarget`): there is nothing a
 * rebuild could build beside the live version.
 */
export class NotRebuildableError extends ConflictError {
  constructor(readonly projection: string) {
    super(
      `projection ${projection} owns no SQL tables and no other store it can rebuild beside its live version`,
    );
  }
}
