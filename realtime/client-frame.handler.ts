import { randomUUID } from 'node:crypto';
import type { Logger } from '../infra/logging/logger.js';
import { mapError } from '../gateway/error-mapping.js';
import type { ErrorCode } from '../gateway/error-codes.js';
import {
  clientFrameData,
  describeIssues,
  envelopeSchema,
  isClientFrameType,
  type ClientFrameType,
} from './client-frames.schemas.js';
import type { Connection } from './connection.js';
import type { SocketRequestHandlers } from './socket-requests.js';
import type { TokenBucket } from './token-bucket.js';

type RequestId = string | number | undefined;

export interface ClientFrameContext {
  connection: Connection;
  handlers: SocketRequestHandlers;
  rateLimit: TokenBucket;
  /** Resolves once the connection's membership is loaded; requests wait for it. */
  ready: Promise<void>;
  logger: Logger;
  onRateLimited?: () => void;
}

function sendError(connection: Connection, id: RequestId, code: ErrorCode, message: string): void {
  connection.sendFrame({ type: 'error', ...(id === undefined ? {} : { id }), data: { code, message } });
}

/** The request id of a frame that failed validation, when it has a usable one. */
function idOf(parsed: unknown): RequestId {
  const id = (parsed as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/**
 * One client frame, start to finish: rate limit, JSON, envelope, data, then the
 * request, answered by exactly one `ack` or `error` when it has an id. Errors map
 * to PROTOCOL.md codes through the gateway's `mapError`, the one table both edges
 * share. Never throws: a bad frame must not take the connection down.
 */
export async function handleClientFrame(context: ClientFrameContext, raw: string | null): Promise<void> {
  const { connection } = context;
  let parsed: unknown;
  try {
    parsed = raw === null ? undefined : JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!context.rateLimit.take()) {
    context.onRateLimited?.();
    return sendError(connection, idOf(parsed), 'rate_limited', 'too many frames; slow down');
  }
  if (parsed === undefined)
    return sendError(connection, undefined, 'bad_request', 'a frame is one JSON text message');
  const envelope = envelopeSchema.safeParse(parsed);
  if (!envelope.success) {
    return sendError(
      connection,
      idOf(parsed),
      'bad_request',
      `invalid frame: ${describeIssues(envelope.error)}`,
    );
  }
  const { type, id } = envelope.data;
  if (!isClientFrameType(type))
    return sendError(connection, id, 'bad_request', `unknown frame type: ${type}`);
  const data = clientFrameData[type].safeParse(envelope.data.data ?? {});
  if (!data.success) return sendError(connection, id, 'bad_request', describeIssues(data.error));

  // A ping is answered at once; everything else in the order the client sent it.
  if (!isOrdered(type)) return runRequest(context, type, id, data.data);
  return connection.serially(() => runRequest(context, type, id, data.data));
}

async function runRequest(
  context: ClientFrameContext,
  type: ClientFrameType,
  id: RequestId,
  data: unknown,
): Promise<void> {
  const { connection } = context;
  try {
    await context.ready;
    const handler = context.handlers[type] as (data: unknown, request: object) => Promise<object | undefined>;
    const answer = await handler(data, {
      connection,
      id,
      meta: { actorId: connection.userId, correlationId: randomUUID() },
    });
    if (answer && id !== undefined) connection.sendFrame({ type: 'ack', id, data: answer });
  } catch (error) {
    const mapped = mapError(error);
    if (mapped.unexpected) context.logger.error({ err: error, frameType: type }, 'websocket request failed');
    sendError(connection, id, mapped.body.error.code, mapped.body.error.message);
  }
}

function isOrdered(type: ClientFrameType): boolean {
  return type !== 'ping';
}
