import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import type { BlobStore } from '../../infra/blobs/blob-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { createPgliteClient } from '../../infra/sql/pglite.sql-client.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import { SqlAttachmentRecords } from '../../readmodels/attachments/attachment-records.js';
import { attachmentsMigrations } from '../../readmodels/attachments/attachments.schema.js';
import { handleCheckAttachments } from './check-attachments.handler.js';
import { handleCreateAttachment } from './create-attachment.handler.js';
import { PNG_SIGNATURE } from '../../test/support/png.js';

/** One blob engine, running, as the attachment handlers meet it. */
export interface BlobEngine {
  store: BlobStore;
  /** Resolves the engine's (possibly relative) URLs. */
  absolute(url: string): string;
  close(): Promise<void>;
}

/**
 * The check a message's attachment keys go through (`check-attachments.handler.ts`),
 * over one engine: whether or not the engine refuses a body its declared inline type
 * contradicts at upload time (local disk does, S3 cannot see the bytes), such a key
 * never gets into a message. Grants live in an embedded database, as in embedded mode.
 */
export function checkAttachmentsConformance(engineName: string, start: () => Promise<BlobEngine>): void {
  describe(`attachment keys on the ${engineName} blob store`, () => {
    let engine: BlobEngine | undefined;
    beforeAll(async () => {
      engine = await start();
    });
    afterAll(async () => {
      await engine?.close();
    });
    const target = () => engine!;

    describe('when a message references an uploaded key', () => {
      let sql: SqlClient;
      let createAttachment: ReturnType<typeof handleCreateAttachment>;
      let checkAttachments: ReturnType<typeof handleCheckAttachments>;
      beforeAll(async () => {
        sql = await createPgliteClient({ dataDir: 'memory://' });
        await migrate(sql, 'attachments', attachmentsMigrations);
        const deps = {
          grants: new SqlAttachmentRecords(sql),
          blobs: target().store,
          clock: () => new Date(),
          newId: randomUUID,
          maxBytes: 1024 * 1024,
        };
        createAttachment = handleCreateAttachment(deps);
        checkAttachments = handleCheckAttachments(deps);
      });
      afterAll(async () => {
        await sql?.close();
      });

      const uploadAs = async (uploaderId: string, contentType: string, bytes: Buffer) => {
        const created = await createAttachment(uploaderId, {
          filename: 'picture.png',
          contentType,
          size: bytes.length,
        });
        const put = () =>
          fetch(target().absolute(created.uploadUrl), {
            method: created.method,
            headers: created.headers,
            body: bytes,
          });
        // A PUT is idempotent: a pooled connection the server closed as it was reused
        // (ECONNRESET, seen once in CI against s3rver) is retried once, as clients do.
        const response = await put().catch(put);
        await response.arrayBuffer();
        return { key: created.key, accepted: response.ok };
      };

      it('refuses bytes that are not a PNG declared as image/png, whether or not the upload took them', async () => {
        const senderId = randomUUID();
        const html = Buffer.from('<html><script>alert(1)</script></html>');
        const { key, accepted } = await uploadAs(senderId, 'image/png', html);
        if (accepted) {
          // Stored (S3): the refusal below must come from the bytes, not from their absence.
          expect((await target().store.stat(key))?.size).toBe(html.length);
        }
        const refusal = await checkAttachments(senderId, [key]).then(
          () => null,
          (error: unknown) => error,
        );
        expect(refusal).toBeInstanceOf(ValidationError);
        expect(refusal).toMatchObject({ code: 'bad_request', field: 'attachments' });
        if (accepted) expect((refusal as Error).message).toMatch(/not image\/png/);
      });

      it('lets a PNG declared as image/png through', async () => {
        const senderId = randomUUID();
        const png = Buffer.concat([PNG_SIGNATURE, randomBytes(200)]);
        const { key, accepted } = await uploadAs(senderId, 'image/png', png);
        expect(accepted).toBe(true);
        await expect(checkAttachments(senderId, [key])).resolves.toBeUndefined();
      });
    });
  });
}
