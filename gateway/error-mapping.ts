import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, ValidationError } from '../domain/errors.js';
import {
  EventStoreUnavailableError,
  InvalidEventError,
  EventTooLargeError,
} from '../infra/eventstore/event-store.errors.js';
import { isConnectionError } from '../infra/sql/sql-client.js';
import { STATUS_BY_CODE, type ErrorBody, type ErrorCode } from './error-codes.js';
import { HttpError } from './http-errors.js';

export interface MappedError {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
  /** Unexpected: log it with its stack. */
  unexpected: boolean;
}

function mapped(code: ErrorCode, message: string, details?: unknown, unexpected = false): MappedError {
  return {
    status: STATUS_BY_CODE[code],
    body: { error: details === undefined ? { code, message } : { code, message, details } },
    unexpected,
  };
}

interface ZodLikeIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[]; message?: string } };
}

/** Names the field that failed, as PROTOCOL.md asks: `body.clientMsgId: Invalid UUID`. */
function describeValidation(error: { validation: ZodLikeIssue[]; validationContext?: string }): MappedError {
  const where = error.validationContext ?? 'request';
  const issues = error.validation.map((issue) => {
    const path =
      issue.params?.issue?.path?.map(String).join('.') ??
      issue.instancePath?.replace(/^\//, '').replace(/\//g, '.');
    const field = path ? `${where}.${path}` : where;
    return { field, message: issue.params?.issue?.message ?? issue.message ?? 'invalid' };
  });
  const first = issues[0];
  return mapped('bad_request', first ? `${first.field}: ${first.message}` : `invalid ${where}`, { issues });
}

/**
 * Every error an edge can meet, as a PROTOCOL.md error. Anything not known here
 * is `internal` with a generic message: the details go to the log, not the client.
 */
export function mapError(error: unknown): MappedError {
  if (error instanceof DomainError) {
    const details = error instanceof ValidationError && error.field ? { field: error.field } : undefined;
    return mapped(error.code, error.message, details);
  }
  if (error instanceof HttpError) {
    return { ...mapped(error.code, error.message), retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof InvalidEventError || error instanceof EventTooLargeError) {
    return mapped('bad_request', error.message);
  }
  if (error instanceof EventStoreUnavailableError || isConnectionError(error)) {
    return mapped('unavailable', 'a backing service is unavailable; retry shortly');
  }
  if (hasZodFastifySchemaValidationErrors(error)) return describeValidation(error);
  const fastifyError = error as {
    statusCode?: number;
    code?: string;
    validation?: unknown;
    message?: string;
  };
  if (fastifyError.validation) return describeValidation(error as never);
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fastifyError.statusCode === 413) {
    return mapped('payload_too_large', 'the request body is too large');
  }
  if (fastifyError.statusCode === 415) return mapped('bad_request', 'the body must be application/json');
  if (fastifyError.statusCode === 404) return mapped('not_found', 'not found');
  if (
    fastifyError.statusCode !== undefined &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    // Malformed JSON, an empty body with a JSON content type, and their kin.
    return mapped('bad_request', fastifyError.message ?? 'bad request');
  }
  return mapped('internal', 'internal error', undefined, true);
}
