/**
 * Parley as `npm start` runs it, plus one projection that SIGKILLs the process
 * while it applies the message whose body is CRASH_BODY, once (a marker file in
 * DATA_DIR says it happened). It is registered last, so by then the real
 * projections have written that event's rows in the batch's transaction, which
 * never commits: a crash between a read-model write and the rest.
 * Run by the projector-crash test through `createParleyProcess({ entry })`.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeParley, type Feature, type Infrastructure } from '../../../app/compose.js';
import { allFeatures } from '../../../app/features.js';
import { loadConfig } from '../../../infra/config/config.js';
import { createLogger } from '../../../infra/logging/logger.js';
import { CRASH_BODY, CRASH_MARKER_FILE } from './crash-after-write.js';

function crashAfterWrite(infra: Infrastructure): Feature {
  const marker = path.resolve(infra.config.DATA_DIR, CRASH_MARKER_FILE);
  infra.projections.register({
    name: 'faults-crash-after-write',
    version: 1,
    eventTypes: ['MessageSent'],
    migrations: [],
    async apply(tx, event) {
      if ((event.data as { body?: unknown }).body !== CRASH_BODY || existsSync(marker)) return;
      // Proof the transaction is still open with the other projections' writes in it.
      await tx.query('select 1');
      writeFileSync(marker, String(event.position));
      process.kill(process.pid, 'SIGKILL');
    },
  });
  return {};
}

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const parley = await composeParley(config, logger, [...allFeatures, crashAfterWrite]);
const address = await parley.listen();
logger.info({ address }, 'parley is listening');
