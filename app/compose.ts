import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from '../infra/config/config.js';
import type { EventStore } from '../infra/eventstore/event-store.js';
import { SqlEventStore } from '../infra/eventstore/sql/sql-event-store.js';
import { openPostgresEventStore } from '../infra/eventstore/open-event-store.js';
import type { Logger } from '../infra/logging/logger.js';
import { createMetrics, type Metrics } from '../infra/metrics/metrics.js';
import type { SqlClient } from '../infra/sql/sql-client.js';
import { createPostgresClient } from '../infra/sql/postgres.sql-client.js';
import { createPgliteClient } from '../infra/sql/pglite.sql-client.js';
import { closeServer } from '../gateway/close-server.js';
import { buildGateway } from '../gateway/app.js';
import type { RateLimits } from '../gateway/rate-limit/rate-limit.js';
import { createMemoryRateLimiter } from '../infra/ratelimit/memory.rate-limiter.js';
import { createRedisRateLimiter } from '../infra/ratelimit/redis.rate-limiter.js';
import type { ReadinessCheck } from '../gateway/health/health.route.js';
import { ProjectionHub } from './projection-hub.js';
import { projectorRole, type ProjectorState } from './projector-role.js';
import { describeRoles, resolveRoles, type Role, type Roles } from './roles.js';

type ProjectionHubDeps = ConstructorParameters<typeof ProjectionHub>[0];

/** What a feature needs from the composition root to wire itself. */
export interface Infrastructure {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Read models, credentials, checkpoints: PostgreSQL or embedded PGlite. */
  sql: SqlClient;
  eventStore: EventStore;
  rateLimits: RateLimits;
  /** Where features register their projections; commands wait on it to read their own writes. */
  projections: ProjectionHub;
  /** What this process runs (app/roles.ts): features register only their own role's routes and work. */
  roles: Roles;
}

/** A feature adds routes and may start background work (a projection) that `stop` ends. */
export interface Feature {
  routes?: FastifyPluginAsync;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  readiness?: ReadinessCheck[];
  /**
   * Projection-like background work (counters, digests): runs only in the process
   * that runs the projections, the holder of the projector lock, and stops when it
   * loses it. Started after `start`, stopped before `stop`.
   */
  projector?: { start(): Promise<void>; stop(): Promise<void> };
}

export interface Parley {
  app: FastifyInstance;
  infrastructure: Infrastructure;
  /** The roles this process runs, in a fixed order. */
  roles: Role[];
  /** Whether this process projects now, and its part in the projector lock. */
  projector(): ProjectorState;
  /** Starts background work and listens; resolves to the address served. */
  listen(): Promise<string>;
  /** Stops accepting requests, lets in-flight ones finish, then stops features and closes connections. */
  close(): Promise<void>;
}

/** Read models' database: PostgreSQL when DATABASE_URL is set, else embedded PGlite in DATA_DIR. */
export async function openSqlClient(config: Config): Promise<SqlClient> {
  if (config.DATABASE_URL) {
    return createPostgresClient({
      connectionString: config.DATABASE_URL,
      max: config.DATABASE_POOL_SIZE,
      applicationName: 'parley',
    });
  }
  const dataDir = path.resolve(config.DATA_DIR, 'pglite');
  await mkdir(dataDir, { recursive: true });
  return createPgliteClient({ dataDir });
}

/** The event store engine EVENTSTORE_URL names; with none, the read models' database (`sql`). */
export async function openEventStore(config: Config, sql: SqlClient): Promise<EventStore> {
  const url = config.EVENTSTORE_URL;
  if (url?.startsWith('esdb://') || url?.startsWith('esdb+discover://')) {
    const { openEsdbEventStore } = await import('../infra/eventstore/esdb/esdb.event-store.js');
    return openEsdbEventStore(url);
  }
  if (url && url !== config.DATABASE_URL)
    return openPostgresEventStore(url, { poolSize: config.DATABASE_POOL_SIZE });
  // Same database as the read models (embedded, or EVENTSTORE_URL unset): share the client.
  return SqlEventStore.open(sql);
}

/**
 * The composition root: the one place that picks engines from configuration and
 * hands them to the layers that need them.
 */
export async function composeParley(
  config: Config,
  logger: Logger,
  features: readonly ((infrastructure: Infrastructure) => Feature | Promise<Feature>)[] = [],
  /** Tools (the CLI) pass their own hub to see which projections the features register. */
  createProjectionHub = (deps: ProjectionHubDeps) => new ProjectionHub(deps),
): Promise<Parley> {
  const metrics = createMetrics();
  const rateLimiter = config.REDIS_URL
    ? await createRedisRateLimiter(config.REDIS_URL, logger, Date.now, `${config.REDIS_KEY_PREFIX}rl:`)
    : createMemoryRateLimiter();
  const rateLimits: RateLimits = {
    limiter: rateLimiter,
    perIpPerMinute: config.RATE_LIMIT_PER_IP_PER_MINUTE,
    perUserPerMinute: config.RATE_LIMIT_PER_MINUTE,
  };
  const sql = await openSqlClient(config);
  let eventStore: EventStore;
  try {
    eventStore = await openEventStore(config, sql);
  } catch (error) {
    await sql.close();
    throw error;
  }
  const projections = createProjectionHub({ sql, eventStore, metrics, logger });
  const roles = resolveRoles(config, sql.engine === 'pglite');
  if (sql.engine === 'pglite' && config.PARLEY_ROLES.length > 0)
    logger.warn({ asked: config.PARLEY_ROLES }, 'embedded mode runs every role in one process');
  const infrastructure: Infrastructure = {
    config,
    logger,
    metrics,
    sql,
    eventStore,
    rateLimits,
    projections,
    roles,
  };
  const wired: Feature[] = [];
  for (const feature of features) wired.push(await feature(infrastructure));

  const readiness: ReadinessCheck[] = [
    {
      name: sql.engine === 'pglite' ? 'database (embedded)' : 'database',
      required: true,
      check: () => sql.query('select 1').then(() => undefined),
    },
    {
      name: `event store (${eventStore.engine})`,
      required: true,
      check: () => eventStore.headPosition().then(() => undefined),
    },
    ...wired.flatMap((feature) => feature.readiness ?? []),
  ];
  const projector = projectorRole({
    config,
    sql,
    logger,
    roles,
    projections,
    work: wired.flatMap((feature) => (feature.projector ? [feature.projector] : [])),
  });
  const app = await buildGateway({
    logger,
    metrics,
    readiness,
    rateLimits,
    readinessDetails: () => ({ roles: describeRoles(roles), projector: projector.state() }),
    hstsMaxAgeSeconds: config.HSTS_MAX_AGE_SECONDS,
    features: wired.flatMap((feature) => (feature.routes ? [feature.routes] : [])),
  });

  let closed = false;
  return {
    app,
    infrastructure,
    roles: describeRoles(roles),
    projector: () => projector.state(),
    async listen() {
      for (const feature of wired) await feature.start?.();
      await projector.start();
      return app.listen({ port: config.PORT, host: config.HOST });
    },
    async close() {
      if (closed) return;
      closed = true;
      // In order: stop accepting, say goodbye on the sockets (the realtime feature's
      // preClose hook) and answer every request and socket command in flight, while
      // the projections still run so their read-your-writes waits end; then stop
      // projecting after the batch in flight (checkpoints saved) and release the
      // projector lock; then the features and the connections.
      await closeServer(app);
      await projector.stop();
      for (const feature of [...wired].reverse()) await feature.stop?.();
      await projections.stop();
      await eventStore.close();
      await sql.close();
      await rateLimiter.close();
    },
  };
}
