import { randomUUID } from 'node:crypto';
import { attachmentSniffer } from '../../domain/attachments/magic-numbers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import { LocalBlobStore } from '../../infra/blobs/local/local.blob-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createPostgresClient } from '../../infra/sql/postgres.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { SqlAttachmentRecords } from '../../readmodels/attachments/attachment-records.js';
import { attachmentsMigrations } from '../../readmodels/attachments/attachments.schema.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { handleCreateAttachment, type CreateAttachmentInput } from './create-attachment.handler.js';

const now = new Date('2025-05-01T10:00:00.000Z');
const MAX_BYTES = 1_000;
const TTL_SECONDS = 600;

describe('granting an attachment upload', () => {
  let database: { url: string; drop(): Promise<void> };
  let sql: SqlClient;
  let blobDir: string;
  let grants: SqlAttachmentRecords;
  let createAttachment: ReturnType<typeof handleCreateAttachment>;
  const newIds: string[] = [];

  // Grants and blobs as embedded mode wires them, the database on the test server (PGlite starts too slowly per mutant).
  beforeAll(async () => {
    database = await createTestDatabase('create_attachment');
    sql = createPostgresClient({ connectionString: database.url, max: 2 });
    await migrate(sql, 'attachments', attachmentsMigrations);
    blobDir = await mkdtemp(path.join(tmpdir(), 'parley-create-attachment-'));
    grants = new SqlAttachmentRecords(sql);
    createAttachment = handleCreateAttachment({
      grants,
      blobs: await LocalBlobStore.open({
        dir: blobDir,
        ttlSeconds: TTL_SECONDS,
        sniffer: attachmentSniffer,
        now: () => now,
      }),
      clock: () => now,
      newId: () => {
        const id = randomUUID();
        newIds.push(id);
        return id;
      },
      maxBytes: MAX_BYTES,
    });
  });
  afterAll(async () => {
    await sql?.close();
    await database?.drop();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  const countGrantsOf = async (uploaderId: string): Promise<number> =>
    (await sql.query('select key from attachments where uploader_id = $1', [uploaderId])).length;

  const valid: CreateAttachmentInput = { filename: 'cat.png', contentType: 'image/png', size: 10 };

  it('grants a key under the uploader and answers where to PUT the bytes until when', async () => {
    const uploaderId = randomUUID();
    const created = await createAttachment(uploaderId, valid);
    const key = `${uploaderId}/${newIds.at(-1)}`;
    expect(created).toStrictEqual({
      key,
      uploadUrl: expect.stringMatching(new RegExp(`^/v1/blobs/${key}\\?`)),
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      expiresAt: new Date(now.getTime() + TTL_SECONDS * 1000).toISOString(),
    });
    expect(await grants.getMany([key])).toStrictEqual([
      {
        key,
        uploaderId,
        filename: 'cat.png',
        contentType: 'image/png',
        size: 10,
        createdAt: now.toISOString(),
        uploadedAt: null,
      },
    ]);
  });

  it('grants a fresh key for each upload', async () => {
    const uploaderId = randomUUID();
    const first = await createAttachment(uploaderId, valid);
    const second = await createAttachment(uploaderId, valid);
    expect(second.key).not.toBe(first.key);
    expect(await countGrantsOf(uploaderId)).toBe(2);
  });

  describe('the filename', () => {
    it.each(['a b.txt', '.hidden', '...', '..x', 'tilde~.txt', 'ünïcødé 日本.pdf', ' padded '])(
      'accepts the plain name %j',
      async (filename) => {
        const uploaderId = randomUUID();
        await createAttachment(uploaderId, { ...valid, filename });
        expect(await countGrantsOf(uploaderId)).toBe(1);
      },
    );

    it.each([
      '',
      '   ',
      '\t',
      '.',
      '..',
      'dir/cat.png',
      'dir\\cat.png',
      'a\u0000b',
      'a\nb',
      'a\u001fb',
      'a\u007fb',
    ])('refuses %j on the filename field and grants nothing', async (filename) => {
      const uploaderId = randomUUID();
      const refusal = createAttachment(uploaderId, { ...valid, filename });
      await expect(refusal).rejects.toBeInstanceOf(ValidationError);
      await expect(refusal).rejects.toMatchObject({
        field: 'filename',
        message: 'filename: must be a plain file name, without path or control characters',
      });
      expect(await countGrantsOf(uploaderId)).toBe(0);
    });
  });

  describe('the content type', () => {
    it.each(['png', 'image/', 'image png', ''])(
      'refuses %j on the contentType field',
      async (contentType) => {
        const uploaderId = randomUUID();
        const refusal = createAttachment(uploaderId, { ...valid, contentType });
        await expect(refusal).rejects.toBeInstanceOf(ValidationError);
        await expect(refusal).rejects.toMatchObject({
          field: 'contentType',
          message: 'contentType: must be a media type such as image/png',
        });
        expect(await countGrantsOf(uploaderId)).toBe(0);
      },
    );

    it('keeps parameters and passes the type to the upload headers as given', async () => {
      const created = await createAttachment(randomUUID(), {
        ...valid,
        contentType: 'text/plain; charset=utf-8',
      });
      expect(created.headers).toEqual({ 'content-type': 'text/plain; charset=utf-8' });
    });
  });

  describe('the size', () => {
    it.each([1, MAX_BYTES])('accepts %i bytes', async (size) => {
      const uploaderId = randomUUID();
      await createAttachment(uploaderId, { ...valid, size });
      expect(await countGrantsOf(uploaderId)).toBe(1);
    });

    it.each([0, -1, MAX_BYTES + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'refuses %d bytes on the size field and grants nothing',
      async (size) => {
        const uploaderId = randomUUID();
        const refusal = createAttachment(uploaderId, { ...valid, size });
        await expect(refusal).rejects.toBeInstanceOf(ValidationError);
        await expect(refusal).rejects.toMatchObject({
          field: 'size',
          message: `size: must be 1 to ${MAX_BYTES} bytes`,
        });
        expect(await countGrantsOf(uploaderId)).toBe(0);
      },
    );
  });
});
