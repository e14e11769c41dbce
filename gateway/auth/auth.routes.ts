import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LogInCommand, LoggedIn } from '../../commands/accounts/log-in.handler.js';
import type {
  RegisterAccountCommand,
  RegisteredAccount,
} from '../../commands/accounts/register-account.handler.js';
import type { Sessions } from '../../commands/accounts/sessions.handler.js';
import { unauthorized } from '../http-errors.js';
import type { GetMe } from '../users/me.query.js';
import type { LoginThrottle } from './login-throttle.js';
import {
  logInBodySchema,
  refreshTokenBodySchema,
  registerBodySchema,
  sessionSchema,
  tokensSchema,
} from './auth.schemas.js';

export interface AuthRoutesDeps {
  registerAccount(command: RegisterAccountCommand, correlationId?: string): Promise<RegisteredAccount>;
  logIn(command: LogInCommand): Promise<LoggedIn | undefined>;
  sessions: Sessions;
  getMe: GetMe;
  /** Per account and per address, before the password is checked (`login-throttle.ts`). */
  throttleLogIn?: LoginThrottle;
}

/** One message for an unknown user and a wrong password: the answer must not tell them apart. */
const WRONG_CREDENTIALS = 'wrong identifier or password';

/** `/v1/auth/*`: public routes (no access token), the refresh token being the credential where one is needed. */
export const authRoutes =
  (deps: AuthRoutesDeps): FastifyPluginAsync =>
  async (instance) => {
    const app = instance.withTypeProvider<ZodTypeProvider>();
    const common = { tags: ['auth'], security: [] };

    app.post(
      '/v1/auth/register',
      {
        schema: {
          ...common,
          summary: 'Create an account and sign in',
          body: registerBodySchema,
          response: { 201: sessionSchema },
        },
      },
      async (request, reply) => {
        const { email, profile, tokens } = await deps.registerAccount(request.body, request.id);
        // Answered from the appended event: no read-model round trip.
        const user = {
          id: profile.userId,
          username: profile.username,
          displayName: profile.displayName,
          createdAt: profile.registeredAt,
          email,
        };
        return reply.code(201).send({ user, tokens });
      },
    );

    app.post(
      '/v1/auth/login',
      {
        schema: {
          ...common,
          summary: 'Sign in with an email or username and a password',
          body: logInBodySchema,
          response: { 200: sessionSchema },
        },
      },
      async (request) => {
        await deps.throttleLogIn?.(request.body.identifier, request.ip);
        const loggedIn = await deps.logIn(request.body);
        if (!loggedIn) throw unauthorized(WRONG_CREDENTIALS);
        return { user: await deps.getMe(loggedIn.userId), tokens: loggedIn.tokens };
      },
    );

    app.post(
      '/v1/auth/refresh',
      {
        schema: {
          ...common,
          summary: 'Trade a refresh token for new tokens (the old one stops working)',
          body: refreshTokenBodySchema,
          response: { 200: z.object({ tokens: tokensSchema }) },
        },
      },
      async (request) => {
        const tokens = await deps.sessions.refresh(request.body.refreshToken);
        if (!tokens) throw unauthorized('the refresh token is invalid, expired or already used');
        return { tokens };
      },
    );

    app.post(
      '/v1/auth/logout',
      {
        schema: {
          ...common,
          summary: "End the refresh token's session",
          body: refreshTokenBodySchema,
          response: { 204: z.null().describe('Signed out (also for an unknown token)') },
        },
      },
      async (request, reply) => {
        await deps.sessions.end(request.body.refreshToken);
        return reply.code(204).send(null);
      },
    );
  };
