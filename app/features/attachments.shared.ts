import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { attachmentSniffer } from '../../domain/attachments/magic-numbers.js';
import type { AttachmentDeps } from '../../commands/attachments/attachment-ports.js';
import type { BlobStore } from '../../infra/blobs/blob-store.js';
import { LocalBlobStore } from '../../infra/blobs/local/local.blob-store.js';
import { migrate } from '../../infra/sql/migrate.js';
import { SqlAttachmentRecords } from '../../readmodels/attachments/attachment-records.js';
import { useDownloadLinks } from '../../readmodels/attachments/attachment-views.js';
import { attachmentsMigrations } from '../../readmodels/attachments/attachments.schema.js';
import type { Infrastructure } from '../compose.js';

/** The blob store and upload grants of one composed app, shared by the features that need them. */
export interface Attachments {
  blobs: BlobStore;
  deps: AttachmentDeps;
}

const perApp = new WeakMap<Infrastructure, Promise<Attachments>>();

/** S3 when `S3_ENDPOINT` is set, else local disk under DATA_DIR/attachments. */
async function openBlobStore(infra: Infrastructure): Promise<BlobStore> {
  const { config } = infra;
  if (!config.S3_ENDPOINT) {
    return LocalBlobStore.open({
      dir: path.resolve(config.DATA_DIR, 'attachments'),
      ttlSeconds: config.ATTACHMENT_URL_TTL_SECONDS,
      sniffer: attachmentSniffer,
      logger: infra.logger,
    });
  }
  // Loaded only when asked for: embedded mode never pays for the AWS SDK.
  const { S3BlobStore } = await import('../../infra/blobs/s3/s3.blob-store.js');
  return S3BlobStore.open({
    endpoint: config.S3_ENDPOINT,
    publicEndpoint: config.S3_PUBLIC_ENDPOINT,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    ttlSeconds: config.ATTACHMENT_URL_TTL_SECONDS,
    sniffer: attachmentSniffer,
  });
}

async function open(infra: Infrastructure): Promise<Attachments> {
  await migrate(infra.sql, 'attachments', attachmentsMigrations);
  const blobs = await openBlobStore(infra);
  // Message views read through this database now carry full attachments with fresh download URLs.
  useDownloadLinks(infra.sql, async (attachment) => (await blobs.createDownload(attachment)).url);
  return {
    blobs,
    deps: {
      grants: new SqlAttachmentRecords(infra.sql),
      blobs,
      clock: () => new Date(),
      newId: randomUUID,
      maxBytes: infra.config.ATTACHMENT_MAX_BYTES,
    },
  };
}

/** Opened once per app, whichever feature asks first (conversations checks keys, attachments grants them). */
export function attachmentsOf(infra: Infrastructure): Promise<Attachments> {
  let attachments = perApp.get(infra);
  if (!attachments) perApp.set(infra, (attachments = open(infra)));
  return attachments;
}
