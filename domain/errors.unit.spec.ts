import { describe, expect, it } from 'vitest';

import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from './errors.js';

describe('domain errors', () => {
  it.each([
    [new ValidationError('bad', 'body'), 'bad_request', 'ValidationError'],
    [new NotFoundError('gone'), 'not_found', 'NotFoundError'],
    [new ForbiddenError('no'), 'forbidden', 'ForbiddenError'],
    [new ConflictError('twice'), 'conflict', 'ConflictError'],
  ])('%s carries the protocol code %s', (error, code, name) => {
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
  });

  it('a validation error names the field when there is one', () => {
    expect(new ValidationError('bad', 'body').field).toBe('body');
    expect(new ValidationError('bad').field).toBeUndefined();
  });
});
