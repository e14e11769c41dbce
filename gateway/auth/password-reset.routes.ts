import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type {
  ConfirmPasswordReset,
  RequestPasswordReset,
  ResetOutcome,
} from '../../commands/accounts/password-reset.handler.js';
import { HttpError } from '../http-errors.js';
import { passwordResetBodySchema, passwordResetConfirmBodySchema } from './password-reset.schemas.js';

export interface PasswordResetRoutesDeps {
  requestPasswordReset(command: RequestPasswordReset): Promise<ResetOutcome>;
  confirmPasswordReset(command: ConfirmPasswordReset): Promise<ResetOutcome>;
}

function refuseWhenThrottled(result: ResetOutcome): void {
  if (result.outcome === 'throttled') {
    throw new HttpError(
      'rate_limited',
      'too many password reset attempts; retry later',
      result.retryAfterSeconds,
    );
  }
}

/** `POST /v1/auth/password-reset` and `…/confirm`: public routes, the mailed code being the credential. */
export const passwordResetRoutes =
  (deps: PasswordResetRoutesDeps): FastifyPluginAsync =>
  async (instance) => {
    const app = instance.withTypeProvider<ZodTypeProvider>();
    const common = { tags: ['auth'], security: [] };

    app.post(
      '/v1/auth/password-reset',
      {
        schema: {
          ...common,
          summary: 'Mail a one-time code to reset the password',
          body: passwordResetBodySchema,
          response: { 202: z.null().describe('Accepted, whether or not an account has this email') },
        },
      },
      async (request, reply) => {
        refuseWhenThrottled(await deps.requestPasswordReset({ email: request.body.email, ip: request.ip }));
        return reply.code(202).send(null);
      },
    );

    app.post(
      '/v1/auth/password-reset/confirm',
      {
        schema: {
          ...common,
          summary: 'Set a new password with the mailed code; ends every session of the account',
          body: passwordResetConfirmBodySchema,
          response: { 204: z.null().describe('Password changed, every refresh token revoked') },
        },
      },
      async (request, reply) => {
        refuseWhenThrottled(await deps.confirmPasswordReset({ ...request.body, ip: request.ip }));
        return reply.code(204).send(null);
      },
    );
  };
