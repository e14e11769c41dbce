import fastifyJwt from '@fastify/jwt';
import type { FastifyPluginAsync } from 'fastify';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  type AccountExists,
} from './access-token.js';
import { limitByUser, type RateLimits } from '../rate-limit/rate-limit.js';
import { authenticate } from './authenticate.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** `authenticate` (gateway/auth/authenticate.ts), then the caller's per-user rate limit. */
    authenticate: typeof authenticate;
  }
}

export interface AuthPluginOptions {
  /** HMAC key: JWT_SECRET, or the generated one kept in the database. */
  secret: string | Buffer;
  accessTokenTtlSeconds: number;
  /** Applied per user once a request is authenticated (the per-address limit runs earlier, for everyone). */
  rateLimits?: RateLimits;
  /** Checked on every authenticated request and WebSocket: a deleted account's tokens stop working at once. */
  accountExists?: AccountExists;
}

/**
 * Lets a plugin's decorators and hooks land in the scope that registers it instead
 * of a child scope: what `fastify-plugin` does, spelled out because that package is
 * not one of ours to depend on.
 */
export function withoutEncapsulation<Plugin extends FastifyPluginAsync<never>>(
  plugin: Plugin,
  name: string,
): Plugin {
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: name,
  });
}

/**
 * Registers @fastify/jwt with HS256 pinned both ways and decorates `authenticate`.
 * Not encapsulated: registered by the accounts feature at the root, so `app.jwt`
 * and `app.authenticate` exist in every other feature's scope.
 */
export const authPlugin = (options: AuthPluginOptions): FastifyPluginAsync =>
  withoutEncapsulation(async (app) => {
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: {
        algorithm: ACCESS_TOKEN_ALGORITHM,
        expiresIn: options.accessTokenTtlSeconds,
        aud: ACCESS_TOKEN_AUDIENCE,
        iss: ACCESS_TOKEN_ISSUER,
      },
      verify: {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        allowedAud: ACCESS_TOKEN_AUDIENCE,
        allowedIss: ACCESS_TOKEN_ISSUER,
        requiredClaims: ['sub', 'exp', 'aud', 'iss'],
      },
    });
    if (options.accountExists) app.decorate('accountExists', options.accountExists);
    const { rateLimits } = options;
    app.decorate(
      'authenticate',
      rateLimits
        ? async (request) => {
            await authenticate(request);
            await limitByUser(rateLimits, request.user.id);
          }
        : authenticate,
    );
  }, 'parley-auth');
