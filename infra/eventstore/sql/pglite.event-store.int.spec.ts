import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeEventStoreConformance } from '../event-store.conformance.js';
import { openPgliteEventStore } from '../open-event-store.js';

describeEventStoreConformance('pglite', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-pglite-'));
  return {
    singleProcess: true,
    canHoldTransactions: true,
    open: (options) => openPgliteEventStore(dataDir, options),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});
