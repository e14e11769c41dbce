/** PROTOCOL.md's error codes and their HTTP statuses: the one table both edges use. */
export const STATUS_BY_CODE = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
