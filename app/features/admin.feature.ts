import { adminGuard } from '../../gateway/admin/admin-guard.js';
import { adminRoutes } from '../../gateway/admin/admin.routes.js';
import { SqlAccountStore } from '../../infra/accounts/account-store.js';
import { analyticsProjection } from '../../projections/analytics/analytics.projection.js';
import { getDailyAnalytics } from '../../readmodels/analytics/analytics.query.js';
import type { Feature, Infrastructure } from '../compose.js';

/** Registered with the projection hub by the feature itself; exported for tests and tools. */
export { analyticsProjection };

/**
 * Operators' routes (`/v1/admin/*`, for the users PARLEY_ADMINS names; 404 for
 * everyone else) and the analytics projection behind `GET /v1/admin/analytics`.
 * Needs the accounts feature (auth plugin, accounts table): list it after that one.
 */
export function adminFeature() {
  return (infra: Infrastructure): Feature => {
    const { config, sql, logger, projections } = infra;
    projections.register(analyticsProjection);
    // The admin routes are REST: the api role's (the projection registers whatever the role).
    if (!infra.roles.has('api')) return {};
    const accounts = new SqlAccountStore(sql);
    return {
      routes: adminRoutes({
        guard: adminGuard({
          admins: config.PARLEY_ADMINS,
          usernameOf: async (userId) => (await accounts.findById(userId))?.username,
        }),
        listProjections: () => projections.status(),
        // Its errors are domain errors already (projections/rebuild/rebuild-errors.ts): an unknown
        // name is 404, a rebuild already running or a projection kept outside SQL is 409.
        startRebuild(name) {
          const { fromVersion, toVersion, done } = projections.startRebuild(name);
          // The answer does not wait; the outcome goes to the log (the projection list shows progress).
          done.then(
            () => logger.info({ projection: name, toVersion }, 'projection rebuilt'),
            (error: unknown) => logger.error({ err: error, projection: name }, 'projection rebuild failed'),
          );
          return { name, fromVersion, toVersion };
        },
        getAnalytics: (range) => getDailyAnalytics(sql, range),
        now: () => new Date(),
      }),
    };
  };
}
