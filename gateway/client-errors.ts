/**
 * Answers for requests that never reach a route: node's HTTP parser refuses them
 * (headers over 16 KiB, a broken request line) or fastify's router does (a URL
 * that does not decode). fastify's defaults answer these in its own format; a
 * client deserves PROTOCOL.md's error body here too.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping.js';

/** fastify's `clientErrorHandler`: there is no request or reply yet, only the socket. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 413 : 400;
  const body = JSON.stringify({
    error: tooLarge
      ? { code: 'payload_too_large', message: 'the request line and headers must be at most 16 KiB' }
      : { code: 'bad_request', message: 'the request is not valid HTTP' },
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${tooLarge ? 'Payload Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** fastify's `frameworkErrors`: a malformed URL (`%`, a lone surrogate's bytes) is a bad request. */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const mapped = mapError(error);
  void reply.code(mapped.status).send(mapped.body);
}
