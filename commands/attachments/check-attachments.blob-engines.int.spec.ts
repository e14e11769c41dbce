/**
 * `checkAttachmentsConformance` over both blob engines, each as production runs
 * it: local disk behind the gateway route that serves its signed URLs, and S3
 * (S3_TEST_ENDPOINT, a MinIO, when set, else s3rver started here).
 */
import { randomUUID } from 'node:crypto';
import { attachmentSniffer } from '../../domain/attachments/magic-numbers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { buildGateway } from '../../gateway/app.js';
import { blobRoutes } from '../../gateway/attachments/blob.routes.js';
import { LocalBlobStore } from '../../infra/blobs/local/local.blob-store.js';
import { S3BlobStore } from '../../infra/blobs/s3/s3.blob-store.js';
import { createLogger } from '../../infra/logging/logger.js';
import { createMetrics } from '../../infra/metrics/metrics.js';
import { createMemoryRateLimiter } from '../../infra/ratelimit/memory.rate-limiter.js';
import { checkAttachmentsConformance } from './check-attachments.conformance.js';

const MAX_BYTES = 1024 * 1024;
const TTL_SECONDS = 60;

checkAttachmentsConformance('local disk', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-blobs-'));
  const store = await LocalBlobStore.open({ dir, ttlSeconds: TTL_SECONDS, sniffer: attachmentSniffer });
  const app = await buildGateway({
    logger: createLogger('silent'),
    metrics: createMetrics(),
    readiness: [],
    rateLimits: { limiter: createMemoryRateLimiter(), perIpPerMinute: 100_000, perUserPerMinute: 100_000 },
    features: [blobRoutes(store, MAX_BYTES)],
  });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    store,
    absolute: (url) => new URL(url, baseUrl).toString(),
    async close() {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

checkAttachmentsConformance('s3', async () => {
  const given = process.env.S3_TEST_ENDPOINT;
  let endpoint: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  let stop = async () => {};
  if (given) {
    endpoint = given;
    credentials = {
      accessKeyId: process.env.S3_TEST_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.S3_TEST_SECRET_ACCESS_KEY ?? '',
    };
  } else {
    const directory = await mkdtemp(path.join(tmpdir(), 'parley-s3rver-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    stop = async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    };
  }
  let store: S3BlobStore;
  try {
    store = await S3BlobStore.open({
      endpoint,
      bucket: `parley-test-${randomUUID().slice(0, 8)}`,
      region: 'us-east-1',
      ...credentials,
      ttlSeconds: TTL_SECONDS,
      sniffer: attachmentSniffer,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    store,
    absolute: (url) => new URL(url, endpoint).toString(),
    async close() {
      await store.close();
      await stop();
    },
  };
});
