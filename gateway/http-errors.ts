/**
 * Errors only the HTTP and WebSocket edges raise. Each carries its PROTOCOL.md
 * code; the status for every code is decided in one place (`error-codes.ts`).
 */
export class HttpError extends Error {
  constructor(
    readonly code: 'unauthorized' | 'rate_limited' | 'payload_too_large' | 'unavailable' | 'not_found',
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const unauthorized = (message = 'authentication required') => new HttpError('unauthorized', message);
