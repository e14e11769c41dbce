import { randomUUID } from 'node:crypto';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { accountStillExists, verifyAccessToken } from '../gateway/auth/access-token.js';
import { HttpError, unauthorized } from '../gateway/http-errors.js';
import type { Logger } from '../infra/logging/logger.js';
import { handleClientFrame } from './client-frame.handler.js';
import { Connection } from './connection.js';
import type { Hub, MembershipSnapshot } from './hub.js';
import type { RealtimeMetrics } from './realtime.metrics.js';
import { CloseCode, type ClientSocket } from './socket.js';
import type { SocketRequestHandlers } from './socket-requests.js';
import { TokenBucket } from './token-bucket.js';
import { closeWhenTokenExpires } from './token-expiry.js';
import { WriteCoalescer } from './write-coalescer.js';

/** PROTOCOL.md: a frame over 64 KiB closes the connection with 1009 (`ws` enforces it). */
export const MAX_FRAME_BYTES = 64 * 1024;

export interface WebSocketSettings {
  /** Browser origins allowed to connect; empty allows any. */
  allowedOrigins: readonly string[];
  sendBufferBytes: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Connections one user may hold on this node: a reconnect loop or a leak must not exhaust it. */
  maxConnectionsPerUser: number;
}

export interface WebSocketRouteDeps {
  hub: Hub;
  handlers: SocketRequestHandlers;
  loadMembership: (userId: string) => Promise<MembershipSnapshot>;
  settings: WebSocketSettings;
  metrics: RealtimeMetrics;
  logger: Logger;
  /** True once the server is shutting down: new connections are turned away. */
  closing: () => boolean;
  /** Told of every connection that opens and closes (presence). */
  onConnectionOpen?: (connection: Connection) => void;
  onConnectionClose?: (connection: Connection) => void;
  /** Runs when the server closes, before fastify stops: the goodbye to every client. */
  onServerClose: () => Promise<void>;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** The access token from the header or, for browsers, `?access_token=`. Never logged. */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = BEARER.exec(request.headers.authorization ?? '')?.[1];
  if (header) return header;
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.access_token === 'string' ? query.access_token : undefined;
}

function textOf(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | null {
  if (isBinary) return null;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** `GET /v1/ws`: PROTOCOL.md's WebSocket. */
export const webSocketRoute =
  (deps: WebSocketRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const { settings, metrics, hub } = deps;
    const coalescer = new WriteCoalescer();
    await app.register(fastifyWebsocket, {
      options: { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false },
      preClose: deps.onServerClose,
      // A protocol error (a frame over the limit…) is closed by `ws` itself with the
      // right code; the plugin's default would terminate the socket before that close frame leaves.
      errorHandler: (error: Error, _socket: unknown, request: FastifyRequest) =>
        request.log.debug({ err: error }, 'websocket error'),
    });

    // Against cross-site WebSocket hijacking: a browser always sends Origin, so a
    // foreign one is refused before the upgrade. Clients that are not browsers send none.
    const refuseForeignOrigin = async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      if (settings.allowedOrigins.length === 0 || origin === undefined) return;
      if (!settings.allowedOrigins.includes(origin))
        return reply.code(403).send({ error: { code: 'forbidden', message: 'origin not allowed' } });
    };

    app.get(
      '/v1/ws',
      { websocket: true, onRequest: refuseForeignOrigin, schema: { hide: true } },
      (socket: ClientSocket, request) => {
        const token = tokenOf(request);
        const user = token ? verifyAccessToken(request.server, token) : undefined;
        if (!token || !user) {
          metrics.closes.inc({ reason: 'unauthorized' });
          return socket.close(CloseCode.unauthorized, 'invalid or expired access token');
        }
        if (deps.closing()) return socket.close(CloseCode.goingAway, 'server shutting down');
        if ([...hub.connectionsOf(user.id)].length >= settings.maxConnectionsPerUser) {
          metrics.closes.inc({ reason: 'too_many_connections' });
          return socket.close(CloseCode.tooManyConnections, 'too many connections for this user');
        }
        const connection = new Connection(randomUUID(), user.id, socket, {
          sendBufferBytes: settings.sendBufferBytes,
          onSlowConsumer: () => metrics.closes.inc({ reason: 'slow_consumer' }),
          // The upgraded request's socket is the one `ws` writes to.
          wire: { stream: request.raw.socket, coalescer },
        });
        const disarmExpiry = closeWhenTokenExpires(request.server, token, connection);
        metrics.connections.inc();
        deps.onConnectionOpen?.(connection);
        const attached = hub.attach(connection, () => deps.loadMembership(user.id));
        attached.catch((error: unknown) => {
          deps.logger.error(
            { err: error, userId: user.id },
            'could not load the memberships of a connection',
          );
          connection.close(CloseCode.tryAgainLater, 'try again later');
        });
        // A token outlives a deleted account: no request is served until the account is known to exist.
        const accountChecked = accountStillExists(request.server, user.id).then((exists) => {
          if (!exists) throw unauthorized('the account no longer exists');
        });
        accountChecked.catch((error: unknown) => {
          // A lookup that failed (the database is away) says nothing about the token:
          // 4401 would send the client to log in again, 1013 asks it to retry.
          if (error instanceof HttpError && error.code === 'unauthorized') {
            metrics.closes.inc({ reason: 'unauthorized' });
            return connection.close(CloseCode.unauthorized, 'invalid or expired access token');
          }
          deps.logger.error({ err: error, userId: user.id }, 'could not check the account of a connection');
          connection.close(CloseCode.tryAgainLater, 'try again later');
        });
        const ready = Promise.all([attached, accountChecked]).then(() => undefined);
        // Each failure is reported above; requests waiting on `ready` answer their own error.
        ready.catch(() => undefined);
        const context = {
          connection,
          handlers: deps.handlers,
          rateLimit: new TokenBucket(settings.rateLimitPerSecond, settings.rateLimitBurst),
          ready,
          logger: deps.logger,
          onRateLimited: () => metrics.rateLimited.inc(),
        };
        socket.on('message', (data, isBinary) => void handleClientFrame(context, textOf(data, isBinary)));
        socket.on('pong', () => {
          connection.alive = true;
        });
        socket.on('close', () => {
          disarmExpiry();
          hub.detach(connection);
          metrics.connections.dec();
          deps.onConnectionClose?.(connection);
        });
      },
    );
  };
