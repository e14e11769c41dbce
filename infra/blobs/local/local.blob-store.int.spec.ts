import { mkdtemp, rm } from 'node:fs/promises';
import { attachmentSniffer } from '../../../domain/attachments/magic-numbers.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../../gateway/app.js';
import { blobRoutes } from '../../../gateway/attachments/blob.routes.js';
import { createLogger } from '../../logging/logger.js';
import { createMetrics } from '../../metrics/metrics.js';
import { createMemoryRateLimiter } from '../../ratelimit/memory.rate-limiter.js';
import { blobStoreConformance } from '../blob-store.conformance.js';
import { LocalBlobStore } from './local.blob-store.js';

const MAX_BYTES = 1024 * 1024;

/** The local engine behind the real gateway that serves its signed URLs. */
blobStoreConformance('local disk', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-blobs-'));
  // The server verifies with the store on the real clock; stores in the past only sign.
  const served = await LocalBlobStore.open({ dir, ttlSeconds: 60, sniffer: attachmentSniffer });
  const app: FastifyInstance = await buildGateway({
    logger: createLogger('silent'),
    metrics: createMetrics(),
    readiness: [],
    rateLimits: { limiter: createMemoryRateLimiter(), perIpPerMinute: 100_000, perUserPerMinute: 100_000 },
    features: [blobRoutes(served, MAX_BYTES)],
  });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    baseUrl,
    open: (now) => LocalBlobStore.open({ dir, ttlSeconds: 60, sniffer: attachmentSniffer, now }),
    async close() {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
