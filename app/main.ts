import { loadConfig, ConfigError } from '../infra/config/config.js';
import { createLogger } from '../infra/logging/logger.js';
import { composeParley } from './compose.js';
import { allFeatures } from './features.js';

/**
 * Past this, a shutdown that is still waiting (a client that never finishes its
 * request) gives up and exits 1: below Kubernetes' default 30 s grace period, so
 * the process leaves on its own terms before a SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = 25_000;

/** `npm start` (and `parley serve`): the roles PARLEY_ROLES names, all by default, configured by the environment. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const parley = await composeParley(config, logger, allFeatures);
  const address = await parley.listen();
  logger.info(
    {
      address,
      mode: config.DATABASE_URL ? 'server' : 'embedded',
      eventStore: parley.infrastructure.eventStore.engine,
      roles: parley.roles,
      projector: parley.projector(),
    },
    'parley is listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    parley.close().then(
      () => {
        logger.info('shut down');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `parley failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
