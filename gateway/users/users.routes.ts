import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import type { Profile, UpdateProfileCommand } from '../../commands/users/update-profile.handler.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { getUser, searchUsers } from '../../readmodels/users/users.query.js';
import { requireUser } from '../auth/authenticate.js';
import type { GetMe } from './me.query.js';
import {
  meSchema,
  searchUsersQuerySchema,
  updateMeBodySchema,
  userIdParamsSchema,
  userSchema,
} from './users.schemas.js';

export interface UsersRoutesDeps {
  /** The read models' database. */
  sql: SqlExecutor;
  getMe: GetMe;
  updateProfile(command: UpdateProfileCommand, correlationId?: string): Promise<Profile>;
}

/** `/v1/me` and `/v1/users`: every route here needs a signed-in user. */
export const usersRoutes =
  (deps: UsersRoutesDeps): FastifyPluginAsync =>
  async (instance) => {
    const app = instance.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', app.authenticate);

    app.get(
      '/v1/me',
      { schema: { tags: ['users'], summary: 'The caller', response: { 200: meSchema } } },
      async (request) => deps.getMe(requireUser(request).id),
    );

    app.patch(
      '/v1/me',
      {
        schema: {
          tags: ['users'],
          summary: "Change the caller's profile",
          body: updateMeBodySchema,
          response: { 200: meSchema },
        },
      },
      async (request) => {
        const { id } = requireUser(request);
        const profile = await deps.updateProfile({ userId: id, ...request.body }, request.id);
        // The command's result wins over the read model, should the projections be late.
        return { ...(await deps.getMe(id)), displayName: profile.displayName };
      },
    );

    app.get(
      '/v1/users',
      {
        schema: {
          tags: ['users'],
          summary: 'Find users by the start of their username or display name',
          querystring: searchUsersQuerySchema,
          response: { 200: z.object({ items: z.array(userSchema) }) },
        },
      },
      async (request) => ({ items: await searchUsers(deps.sql, request.query.q, request.query.limit) }),
    );

    app.get(
      '/v1/users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'A user',
          params: userIdParamsSchema,
          response: { 200: userSchema },
        },
      },
      async (request) => {
        const user = await getUser(deps.sql, request.params.id);
        if (!user) throw new NotFoundError('user not found');
        return user;
      },
    );
  };
