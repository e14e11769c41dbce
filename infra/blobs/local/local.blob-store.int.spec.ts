import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachmentSniffer } from '../../../domain/attachments/magic-numbers.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../../gateway/app.js';
import { blobRoutes } from '../../../gateway/attachments/blob.routes.js';
import { createLogger } from '../../logging/logger.js';
import { createMetrics } from '../../metrics/metrics.js';
import { createMemoryRateLimiter } from '../../ratelimit/memory.rate-limiter.js';
import { waitFor } from '../../../test/support/wait-for.js';
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

describe('local disk: unsent uploads', () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  const newKey = () => `${randomUUID()}/${randomUUID()}`;
  /** Files changed before and after an instant the sweep's clock is set a day past. */
  const pastTheClockTick = () => new Promise((resolve) => setTimeout(resolve, 30));
  let dir: string;
  let store: LocalBlobStore;
  let sweeper: LocalBlobStore | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-blobs-'));
  });
  afterEach(async () => {
    await store?.close();
    await sweeper?.close();
    sweeper = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function upload(key: string): Promise<void> {
    const body = Readable.from([Buffer.from('hello')]);
    expect(await store.write(key, 5, body, 'application/octet-stream')).toBe('stored');
  }

  /** A store on the same folder whose clock reads a day after `instant`. */
  const sweepingADayAfter = (instant: number, sweepEveryMs = 0) =>
    LocalBlobStore.open({
      dir,
      ttlSeconds: 60,
      sniffer: attachmentSniffer,
      sweepEveryMs,
      now: () => new Date(instant + DAY_MS),
    });

  it('are removed a day after they were uploaded; published bytes and younger files stay', async () => {
    store = await LocalBlobStore.open({ dir, ttlSeconds: 60, sniffer: attachmentSniffer, sweepEveryMs: 0 });
    const [stale, sentLongAgo, fresh] = [newKey(), newKey(), newKey()];
    await upload(stale);
    await upload(sentLongAgo);
    expect(await store.publish(sentLongAgo, (await store.stat(sentLongAgo))!.version)).toBe(true);
    const cutOff = path.join(dir, 'tmp', 'an-upload-cut-off-by-a-crash');
    await writeFile(cutOff, 'hel');
    await pastTheClockTick();
    const aDayAgo = Date.now();
    await pastTheClockTick();
    await upload(fresh);
    const streaming = path.join(dir, 'tmp', 'an-upload-streaming-now');
    await writeFile(streaming, 'he');

    sweeper = await sweepingADayAfter(aDayAgo);
    expect(await sweeper.sweepUnsentUploads()).toBe(2);

    expect(await store.stat(stale)).toBeNull();
    expect(existsSync(cutOff)).toBe(false);
    expect((await store.read(sentLongAgo))?.size).toBe(5);
    expect(await store.stat(fresh)).toMatchObject({ size: 5 });
    expect(existsSync(streaming)).toBe(true);
  });

  it('spare an old upload a send has just claimed', async () => {
    store = await LocalBlobStore.open({ dir, ttlSeconds: 60, sniffer: attachmentSniffer, sweepEveryMs: 0 });
    // What `publish` leaves between its claim and its link: the upload renamed into
    // tmp/, changed now, still last written when it was uploaded, two days ago.
    const claimed = path.join(dir, 'tmp', randomUUID());
    await writeFile(claimed, 'hello');
    const uploadedAt = new Date(Date.now() - 2 * DAY_MS);
    await utimes(claimed, uploadedAt, uploadedAt);

    expect(await store.sweepUnsentUploads()).toBe(0);
    expect(existsSync(claimed)).toBe(true);
  });

  it('are swept on a timer', async () => {
    store = await LocalBlobStore.open({ dir, ttlSeconds: 60, sniffer: attachmentSniffer, sweepEveryMs: 0 });
    const stale = newKey();
    await upload(stale);
    sweeper = await sweepingADayAfter(Date.now() + 1000, 50);
    await waitFor('the sweep', async () => (await store.stat(stale)) === null);
  });
});
