/**
 * An HTTP client that sends exactly the bytes and headers it is given (unlike
 * `ApiClient`, which serializes JSON and parses every answer), and judges an
 * answer against PROTOCOL.md's error contract.
 */
import { expect } from 'vitest';
import { STATUS_BY_CODE } from '../../gateway/error-codes.js';

export interface RawRequest {
  method: string;
  /** Path and query, already encoded as the test means them to be sent. */
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawAnswer {
  status: number;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** A request that takes longer than this is a hang, not a slow answer. */
const HANG_MS = 15_000;

export async function send(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
  const response = await fetch(`${baseUrl}${request.target}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(HANG_MS),
  }).catch((error: unknown) => {
    throw new Error(`${request.method} ${request.target.slice(0, 200)} got no answer: ${String(error)}`);
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** A short description of a request, for assertion messages (bodies can be 256 KiB). */
export function describeRequest(request: RawRequest): string {
  const body = request.body === undefined ? '' : ` ${String(request.body).slice(0, 120)}`;
  return `${request.method} ${request.target.slice(0, 160)} ${JSON.stringify(request.headers ?? {})}${body}`;
}

/** PROTOCOL.md: every non-2xx answer is `{error: {code, message}}`, the code matching the status. */
export function expectProtocolError(answer: RawAnswer, what: string): void {
  const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  expect(error, `${what} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeTypeOf('object');
  const code = error?.code as keyof typeof STATUS_BY_CODE;
  expect(STATUS_BY_CODE[code], `${what} → code ${String(code)}`).toBe(answer.status);
  expect(error?.message, what).toBeTypeOf('string');
}

/** Never a 5xx; a 4xx carries the error body. */
export function expectClientErrorOrSuccess(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what} → ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400) expectProtocolError(answer, what);
}

/** A rejected request: a 4xx with the error body. */
export function expectRejected(answer: RawAnswer, what: string): void {
  expect(answer.status, `${what} → ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expectClientErrorOrSuccess(answer, what);
}
