import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from '../infra/logging/logger.js';
import type { Metrics } from '../infra/metrics/metrics.js';
import { answerClientError, answerFrameworkError } from './client-errors.js';
import { mapError } from './error-mapping.js';
import { healthRoutes, type ReadinessCheck } from './health/health.route.js';
import { limitByIp, type RateLimits } from './rate-limit/rate-limit.js';
import { securityHeaders } from './security-headers.js';

export interface GatewayOptions {
  logger: Logger;
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  /** Facts `/ready` adds to its answer (this process's roles, its projector state). */
  readinessDetails?: () => Record<string, unknown>;
  rateLimits: RateLimits;
  /** Feature plugins (auth, users, conversations…), registered after the common ones. */
  features: readonly FastifyPluginAsync[];
  /** HSTS on every answer when set (only behind TLS): see `securityHeaders`. */
  hstsMaxAgeSeconds?: number;
}

/** PROTOCOL.md: a request body over 256 KiB answers 413. */
export const BODY_LIMIT_BYTES = 256 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Drops `access_token` from logged URLs: browsers put the token there for the WebSocket. */
function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/gi, '$1[redacted]');
}

export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  // Typed as fastify's logger so the instance has fastify's default shape.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    // Honour a caller's request id when it is sane, so one id follows a request across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Requests are logged once, on completion, with the token-bearing URL redacted.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    // Requests refused before any route runs answer PROTOCOL.md's error body too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', limitByIp(options.rateLimits));
  app.addHook('onSend', securityHeaders({ hstsMaxAgeSeconds: options.hstsMaxAgeSeconds }));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    options.metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      seconds,
    );
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = mapError(error);
    if (mapped.unexpected) request.log.error({ err: error }, 'unhandled error');
    if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: 'not found' } }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Parley',
        description: 'Event-sourced real-time chat backend: REST API v1',
        version: '1.0.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas with a `.meta({ id })` (Message, Conversation…) become components the routes refer to.
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // The UI's own CSP (its scripts' hashes), minus the HTTPS upgrade that would break it over plain HTTP.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  await app.register(healthRoutes(options.readiness, options.readinessDetails));
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });

  for (const feature of options.features) await app.register(feature);
  return app;
}
