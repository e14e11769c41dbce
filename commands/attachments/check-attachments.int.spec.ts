import { randomUUID } from 'node:crypto';
import { attachmentSniffer } from '../../domain/attachments/magic-numbers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, ValidationError } from '../../domain/errors.js';
import { LocalBlobStore } from '../../infra/blobs/local/local.blob-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createPostgresClient } from '../../infra/sql/postgres.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { SqlAttachmentRecords } from '../../readmodels/attachments/attachment-records.js';
import { attachmentsMigrations } from '../../readmodels/attachments/attachments.schema.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { handleCheckAttachments } from './check-attachments.handler.js';

const created = new Date('2025-05-01T10:00:00.000Z');
const now = new Date('2025-05-01T10:05:00.000Z');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3, 4]);

describe('checking the attachment keys a message carries', () => {
  let database: { url: string; drop(): Promise<void> };
  let sql: SqlClient;
  let blobDir: string;
  let blobs: LocalBlobStore;
  let grants: SqlAttachmentRecords;
  let checkAttachments: ReturnType<typeof handleCheckAttachments>;

  // Grants and blobs as embedded mode wires them, the database on the test server (PGlite starts too slowly per mutant).
  beforeAll(async () => {
    database = await createTestDatabase('check_attachments');
    sql = createPostgresClient({ connectionString: database.url, max: 2 });
    await migrate(sql, 'attachments', attachmentsMigrations);
    blobDir = await mkdtemp(path.join(tmpdir(), 'parley-check-attachments-'));
    blobs = await LocalBlobStore.open({ dir: blobDir, ttlSeconds: 600, sniffer: attachmentSniffer });
    grants = new SqlAttachmentRecords(sql);
    checkAttachments = handleCheckAttachments({ grants, blobs, clock: () => now });
  });
  afterAll(async () => {
    await sql?.close();
    await database?.drop();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  /** A key granted to `uploaderId` for `size` bytes of `contentType`, nothing uploaded yet. */
  async function granted(uploaderId: string, contentType = 'image/png', size = PNG.length): Promise<string> {
    const key = `${uploaderId}/${randomUUID()}`;
    await grants.add({ key, uploaderId, filename: 'f', contentType, size, createdAt: created.toISOString() });
    return key;
  }

  /**
   * Stores `bytes` under `key` as an upload would. `declaredAs` is the type the store
   * is told (empty: no sniffing), so bytes that contradict the grant can be stored,
   * as S3 would store them.
   */
  async function upload(key: string, bytes: Buffer, declaredAs = ''): Promise<void> {
    expect(await blobs.write(key, bytes.length, Readable.from([bytes]), declaredAs)).toBe('stored');
  }

  const uploadedAtOf = async (key: string): Promise<string | null | undefined> =>
    (await grants.getMany([key]))[0]?.uploadedAt;

  async function refusalOf(senderId: string, keys: string[]): Promise<unknown> {
    return checkAttachments(senderId, keys).then(
      () => null,
      (error: unknown) => error,
    );
  }

  it('accepts a message without attachments', async () => {
    await expect(checkAttachments(randomUUID(), [])).resolves.toBeUndefined();
  });

  it("accepts the sender's uploaded keys and remembers when they were confirmed", async () => {
    const senderId = randomUUID();
    const png = await granted(senderId);
    const pdf = await granted(senderId, 'application/pdf', 3);
    await upload(png, PNG, 'image/png');
    await upload(pdf, Buffer.from('pdf'));
    await expect(checkAttachments(senderId, [png, pdf])).resolves.toBeUndefined();
    expect(await uploadedAtOf(png)).toBe(now.toISOString());
    expect(await uploadedAtOf(pdf)).toBe(now.toISOString());
  });

  it('does not ask the store again about a key once confirmed', async () => {
    const senderId = randomUUID();
    const key = await granted(senderId);
    await upload(key, PNG, 'image/png');
    await checkAttachments(senderId, [key]);
    // Gone from the store: only the remembered confirmation can let it through now.
    await rm(path.join(blobDir, 'blobs', ...key.split('/')));
    await expect(checkAttachments(senderId, [key])).resolves.toBeUndefined();
  });

  describe('refuses with forbidden', () => {
    it('a key nobody was granted', async () => {
      const senderId = randomUUID();
      const key = `${senderId}/${randomUUID()}`;
      const refusal = await refusalOf(senderId, [key]);
      expect(refusal).toBeInstanceOf(ForbiddenError);
      expect(refusal).toMatchObject({
        code: 'forbidden',
        message: `attachment ${key} was not created by you`,
      });
    });

    it("another user's key, even uploaded, and confirms nothing", async () => {
      const owner = randomUUID();
      const key = await granted(owner);
      await upload(key, PNG, 'image/png');
      const refusal = await refusalOf(randomUUID(), [key]);
      expect(refusal).toBeInstanceOf(ForbiddenError);
      expect(refusal).toMatchObject({ message: `attachment ${key} was not created by you` });
      expect(await uploadedAtOf(key)).toBeNull();
    });

    it('a foreign key after good ones', async () => {
      const senderId = randomUUID();
      const own = await granted(senderId);
      await upload(own, PNG, 'image/png');
      const foreign = await granted(randomUUID());
      const refusal = await refusalOf(senderId, [own, foreign]);
      expect(refusal).toMatchObject({ message: `attachment ${foreign} was not created by you` });
    });
  });

  describe('refuses as a bad request on the attachments field, confirming nothing,', () => {
    it('a key whose bytes were never uploaded', async () => {
      const senderId = randomUUID();
      const key = await granted(senderId);
      const refusal = await refusalOf(senderId, [key]);
      expect(refusal).toBeInstanceOf(ValidationError);
      expect(refusal).toMatchObject({
        code: 'bad_request',
        field: 'attachments',
        message: `attachment ${key} has not been uploaded yet`,
      });
      expect(await uploadedAtOf(key)).toBeNull();
    });

    it('a key whose stored bytes are not the size granted', async () => {
      const senderId = randomUUID();
      const key = await granted(senderId, 'application/pdf', 4);
      await upload(key, Buffer.from('pdf'));
      const refusal = await refusalOf(senderId, [key]);
      expect(refusal).toBeInstanceOf(ValidationError);
      expect(refusal).toMatchObject({
        field: 'attachments',
        message: `attachment ${key} has not been uploaded yet`,
      });
      expect(await uploadedAtOf(key)).toBeNull();
    });

    it('a key whose bytes are not the type granted', async () => {
      const senderId = randomUUID();
      const html = Buffer.from('<html><script>alert(1)</script></html>');
      const key = await granted(senderId, 'image/png', html.length);
      await upload(key, html);
      const refusal = await refusalOf(senderId, [key]);
      expect(refusal).toBeInstanceOf(ValidationError);
      expect(refusal).toMatchObject({
        code: 'bad_request',
        field: 'attachments',
        message: `attachment ${key}: the bytes are not image/png`,
      });
      expect(await uploadedAtOf(key)).toBeNull();
    });
  });

  describe('an upload replaced while the check runs', () => {
    /** The test's store, where the next of `replacements` is uploaded right after each look, as a client racing its own send would. */
    const racing = (replacements: Buffer[]) => ({
      createUpload: blobs.createUpload.bind(blobs),
      publish: blobs.publish.bind(blobs),
      stat: async (key: string) => {
        const seen = await blobs.stat(key);
        const next = replacements.shift();
        if (next) await upload(key, next);
        return seen;
      },
    });
    const png = (fill: number) => Buffer.concat([PNG, Buffer.alloc(24, fill)]);

    it('checks the newer bytes instead of publishing the ones it looked at', async () => {
      const senderId = randomUUID();
      const key = await granted(senderId, 'image/png', 40);
      await upload(key, png(1), 'image/png');
      const script = Buffer.from('<svg><script>alert(1)</script></svg>'.padEnd(40));
      const check = handleCheckAttachments({ grants, blobs: racing([script]), clock: () => now });
      const refusal = await check(senderId, [key]).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refusal).toMatchObject({ message: `attachment ${key}: the bytes are not image/png` });
      expect(await uploadedAtOf(key)).toBeNull();
      expect(await blobs.read(key)).toBeNull();
    });

    it('publishes the newer bytes once they pass', async () => {
      const senderId = randomUUID();
      const key = await granted(senderId, 'image/png', 40);
      await upload(key, png(1), 'image/png');
      const check = handleCheckAttachments({ grants, blobs: racing([png(2)]), clock: () => now });
      await expect(check(senderId, [key])).resolves.toBeUndefined();
      const published = await blobs.read(key);
      expect(Buffer.concat(await published!.stream.toArray()).equals(png(2))).toBe(true);
      expect(await uploadedAtOf(key)).toBe(now.toISOString());
    });

    it('answers conflict, publishing nothing, while the upload keeps changing', async () => {
      const senderId = randomUUID();
      const key = await granted(senderId, 'image/png', 40);
      await upload(key, png(1), 'image/png');
      const check = handleCheckAttachments({
        grants,
        blobs: racing([png(2), png(3), png(4)]),
        clock: () => now,
      });
      const refusal = await check(senderId, [key]).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(ConflictError);
      expect(await uploadedAtOf(key)).toBeNull();
      expect(await blobs.read(key)).toBeNull();
    });
  });
});
