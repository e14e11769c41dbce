import type { FastifyPluginAsync, preValidationAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { resolveDayRange, type DayRange } from '../../readmodels/analytics/analytics-range.js';
import type { AnalyticsDay } from '../../readmodels/analytics/analytics.query.js';
import {
  analyticsAnswerSchema,
  analyticsQuerySchema,
  projectionListSchema,
  rebuildParamsSchema,
  rebuildStartedSchema,
} from './admin.schemas.js';

export interface AdminRoutesDeps {
  /** Lets only administrators through; see `admin-guard.ts`. */
  guard: preValidationAsyncHookHandler;
  listProjections(): Promise<z.infer<typeof projectionListSchema>['items']>;
  /**
   * Starts a rebuild in the background and answers at once. Throws
   * `NotFoundError` for an unknown projection, `ConflictError` when one is already
   * rebuilding or it cannot be rebuilt.
   */
  startRebuild(name: string): z.infer<typeof rebuildStartedSchema>;
  getAnalytics(range: DayRange): Promise<AnalyticsDay[]>;
  now(): Date;
}

/** `/v1/admin/*`: operators' views of the projections and the analytics read model. */
export const adminRoutes =
  (deps: AdminRoutesDeps): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preValidation', deps.guard);

    app.get(
      '/v1/admin/projections',
      {
        schema: {
          tags: ['admin'],
          summary: 'Each projection: version, checkpoint, lag, parked events, status',
          response: { 200: projectionListSchema },
        },
      },
      async () => ({ items: await deps.listProjections() }),
    );

    app.post(
      '/v1/admin/projections/:name/rebuild',
      {
        schema: {
          tags: ['admin'],
          summary: 'Build the next version of a projection beside the current one, then switch',
          params: rebuildParamsSchema,
          response: { 202: rebuildStartedSchema },
        },
      },
      async (request, reply) => reply.code(202).send(deps.startRebuild(request.params.name)),
    );

    app.get(
      '/v1/admin/analytics',
      {
        schema: {
          tags: ['admin'],
          summary: 'Messages, active senders and median time to first reply, per day',
          querystring: analyticsQuerySchema,
          response: { 200: analyticsAnswerSchema },
        },
      },
      async (request) => ({ days: await deps.getAnalytics(resolveDayRange(request.query, deps.now())) }),
    );
  };
