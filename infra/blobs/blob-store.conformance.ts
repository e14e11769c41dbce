import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNIFF_BYTES } from '../../domain/attachments/magic-numbers.js';
import { PNG_SIGNATURE } from '../../test/support/png.js';
import type { BlobStore } from './blob-store.js';

export interface BlobStoreFixture {
  /** A store whose clock reads `now` (a store in the past issues URLs that are already expired). */
  open(now?: () => Date): Promise<BlobStore>;
  /** Relative URLs (the local engine's) resolve against this. */
  baseUrl: string;
  close(): Promise<void>;
}

const keyOf = () => `${randomUUID()}/${randomUUID()}`;

export interface ConformanceOptions {
  /**
   * Why the server behind the engine cannot refuse a body that breaks the signed
   * conditions (a test server that does not verify signatures): those cases are
   * then reported skipped, with one line saying why, never passed.
   */
  signaturesUnchecked?: string;
  /**
   * Why the server cannot refuse a copy whose source changed (it ignores
   * `x-amz-copy-source-if-match`): publishing an upload replaced after its check
   * is then reported skipped, never passed.
   */
  conditionalCopyUnchecked?: string;
}

/** The guarantees of `BlobStore`'s TSDoc, checked over real HTTP against one engine. */
export function blobStoreConformance(
  engine: string,
  setUp: () => Promise<BlobStoreFixture>,
  options: ConformanceOptions = {},
): void {
  const { signaturesUnchecked, conditionalCopyUnchecked } = options;
  if (signaturesUnchecked) {
    process.stdout.write(
      `blob store (${engine}): size and content-type refusal cases skipped: ${signaturesUnchecked}\n`,
    );
  }
  if (conditionalCopyUnchecked) {
    process.stdout.write(
      `blob store (${engine}): publishing an upload replaced after its check skipped: ${conditionalCopyUnchecked}\n`,
    );
  }
  const enforced = signaturesUnchecked ? it.skip : it;
  const conditionalCopy = conditionalCopyUnchecked ? it.skip : it;

  describe(`blob store (${engine})`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;
    const stores: BlobStore[] = [];
    beforeAll(async () => {
      fixture = await setUp();
      store = await fixture.open();
      stores.push(store);
    });
    afterAll(async () => {
      for (const opened of stores) await opened.close();
      await fixture?.close();
    });

    const absolute = (url: string) => new URL(url, fixture.baseUrl).toString();
    const upload = async (key: string, contentType: string, bytes: Buffer, as = store) => {
      const ticket = await as.createUpload({ key, contentType, size: bytes.length });
      return { ticket, response: await put(absolute(ticket.url), ticket.headers, bytes) };
    };
    const put = (url: string, headers: Record<string, string>, bytes: Buffer) =>
      fetch(url, { method: 'PUT', headers, body: bytes });
    /** Publishes what `stat` sees under `key`, as a message's first reference does. */
    const publish = async (key: string) => {
      const found = await store.stat(key);
      expect(found).not.toBeNull();
      expect(await store.publish(key, found!.version)).toBe(true);
    };
    const download = async (key: string) => {
      const { url } = await store.createDownload({ key, filename: 'a.bin', contentType: 'application/pdf' });
      const response = await fetch(absolute(url));
      return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
    };

    it('takes exactly the bytes and type an upload URL was signed for, and stat then sees them', async () => {
      const key = keyOf();
      const bytes = randomBytes(70_000);
      expect(await store.stat(key)).toBeNull();
      const { ticket, response } = await upload(key, 'application/pdf', bytes);
      expect(ticket.method).toBe('PUT');
      expect(ticket.expiresAt.getTime()).toBeGreaterThan(Date.now());
      expect(response.status).toBe(200);
      const found = await store.stat(key);
      expect(found).toMatchObject({ size: bytes.length, firstBytes: bytes.subarray(0, SNIFF_BYTES) });
      expect(found?.version).not.toBe('');
    });

    it('gives stat all the bytes of an object shorter than the sniffed prefix', async () => {
      const key = keyOf();
      const bytes = Buffer.from('hello');
      await upload(key, 'text/plain', bytes);
      expect(await store.stat(key)).toMatchObject({ size: 5, firstBytes: bytes });
    });

    it('serves an upload only once it is published, and publishes nothing where nothing was uploaded', async () => {
      const key = keyOf();
      const bytes = randomBytes(3000);
      await upload(key, 'application/pdf', bytes);
      expect((await download(key)).status).toBe(404);
      await publish(key);
      const served = await download(key);
      expect(served.status).toBe(200);
      expect(served.bytes.equals(bytes)).toBe(true);
      expect(await store.publish(keyOf(), 'any')).toBe(false);
    });

    it('keeps what was published: a later PUT through a valid upload URL changes neither downloads nor stat', async () => {
      const key = keyOf();
      const first = randomBytes(4000);
      const { ticket } = await upload(key, 'application/pdf', first);
      await publish(key);
      const later = await put(absolute(ticket.url), ticket.headers, randomBytes(4000));
      await later.arrayBuffer();
      // Local disk refuses it (409); S3 cannot, and stores it where nothing serves it.
      expect([200, 409]).toContain(later.status);
      const served = await download(key);
      expect(served.status).toBe(200);
      expect(served.bytes.equals(first)).toBe(true);
      const found = await store.stat(key);
      expect(found?.firstBytes.equals(first.subarray(0, SNIFF_BYTES))).toBe(true);
      // Publishing again, as a second message with the key would, leaves the first bytes.
      expect(await store.publish(key, found!.version)).toBe(true);
      expect((await download(key)).bytes.equals(first)).toBe(true);
    });

    conditionalCopy(
      'refuses to publish an upload replaced after it was checked, then publishes the new one',
      async () => {
        const key = keyOf();
        const checked = randomBytes(2000);
        const replacement = randomBytes(2000);
        const { ticket } = await upload(key, 'application/pdf', checked);
        const seen = await store.stat(key);
        await (await put(absolute(ticket.url), ticket.headers, replacement)).arrayBuffer();
        expect(await store.publish(key, seen!.version)).toBe(false);
        expect((await download(key)).status).toBe(404);
        const again = await store.stat(key);
        expect(again?.firstBytes.equals(replacement.subarray(0, SNIFF_BYTES))).toBe(true);
        expect(await store.publish(key, again!.version)).toBe(true);
        expect((await download(key)).bytes.equals(replacement)).toBe(true);
      },
    );

    it('serves a download with its content type and as an attachment, byte for byte', async () => {
      const key = keyOf();
      const bytes = randomBytes(5000);
      await upload(key, 'application/pdf', bytes);
      await publish(key);
      const { url } = await store.createDownload({
        key,
        filename: 'report 1.pdf',
        contentType: 'application/pdf',
      });
      const response = await fetch(absolute(url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="report 1.pdf"/);
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('serves allow-listed images inline, and SVG as an attachment', async () => {
      for (const [contentType, disposition] of [
        ['image/png', 'inline'],
        ['image/svg+xml', 'attachment'],
      ] as const) {
        const key = keyOf();
        // Starts like a PNG: the local engine refuses an inline type its bytes contradict.
        await upload(key, contentType, Buffer.concat([PNG_SIGNATURE, randomBytes(92)]));
        await publish(key);
        const { url } = await store.createDownload({ key, filename: 'picture', contentType });
        const response = await fetch(absolute(url));
        expect(response.status).toBe(200);
        expect(response.headers.get('content-disposition')?.split(';')[0]).toBe(disposition);
        await response.arrayBuffer();
      }
    });

    enforced('refuses a body larger than signed, and stores nothing', async () => {
      const key = keyOf();
      const ticket = await store.createUpload({ key, contentType: 'text/plain', size: 10 });
      const response = await put(absolute(ticket.url), ticket.headers, randomBytes(11));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(await store.stat(key)).toBeNull();
    });

    enforced('refuses another content type than signed, and stores nothing', async () => {
      const key = keyOf();
      const ticket = await store.createUpload({ key, contentType: 'image/png', size: 10 });
      const response = await put(absolute(ticket.url), { 'content-type': 'text/html' }, randomBytes(10));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(await store.stat(key)).toBeNull();
    });

    it('refuses expired upload and download URLs', async () => {
      const key = keyOf();
      await upload(key, 'text/plain', randomBytes(10));
      await publish(key);
      // A store whose clock is a day behind issues URLs that expired long ago.
      const past = await fixture.open(() => new Date(Date.now() - 24 * 60 * 60 * 1000));
      stores.push(past);
      const late = await upload(keyOf(), 'text/plain', randomBytes(10), past);
      expect(late.response.status).toBe(403);
      const { url } = await past.createDownload({ key, filename: 'a.txt', contentType: 'text/plain' });
      expect((await fetch(absolute(url))).status).toBe(403);
    });
  });
}
