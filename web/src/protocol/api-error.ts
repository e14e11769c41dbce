/** A non-2xx answer, carrying PROTOCOL.md's error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from `Retry-After` on a 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The socket closed (or was never open) before the server answered a request. */
export class ConnectionLostError extends Error {
  constructor() {
    super('the connection closed before the server answered');
    this.name = 'ConnectionLostError';
  }
}

/** Builds the error a failed response stands for, from PROTOCOL.md's `{error: {code, message}}` body. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  let code = 'internal';
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not PROTOCOL.md's shape (a proxy's page): keep the status as the message.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(response.status, code, message, Number.isFinite(retryAfter) ? retryAfter : undefined);
}
