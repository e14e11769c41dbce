import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeParley, type Feature, type Infrastructure, type Parley } from '../../app/compose.js';
import { allFeatures } from '../../app/features.js';
import { loadConfig } from '../../infra/config/config.js';
import { createLogger } from '../../infra/logging/logger.js';
import { createTestDatabase } from './postgres.js';

export type TestMode = 'embedded' | 'postgres';

export interface TestServer {
  baseUrl: string;
  parley: Parley;
  close(): Promise<void>;
}

/**
 * Starts a real Parley on a free port: embedded (PGlite in a temporary folder) or
 * server mode (a fresh PostgreSQL database). `environment` overrides settings;
 * `features` replaces `npm start`'s list (to give features the options a test needs).
 */
export async function startTestServer(
  mode: TestMode,
  environment: Record<string, string> = {},
  features: readonly ((infrastructure: Infrastructure) => Feature | Promise<Feature>)[] = allFeatures,
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-test-'));
  // A given DATABASE_URL (several nodes on one database) is used as is, and left for its owner to drop.
  const database =
    mode === 'postgres' && !environment.DATABASE_URL ? await createTestDatabase('server') : undefined;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Redis outlives a test's database: keys of one run must never meet another's.
    REDIS_KEY_PREFIX: `parley:test:${path.basename(dataDir)}:`,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...environment,
  });
  const parley = await composeParley(config, createLogger(config.LOG_LEVEL), features);
  const baseUrl = await parley.listen();
  return {
    baseUrl,
    parley,
    async close() {
      await parley.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
