import type { BlobStore } from '../../infra/blobs/blob-store.js';

/** An upload grant as the attachment commands see it. */
export interface AttachmentGrant {
  key: string;
  uploaderId: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: string;
  uploadedAt: string | null;
}

/** Where upload grants are kept (the `attachments` table). */
export interface AttachmentGrants {
  add(grant: Omit<AttachmentGrant, 'uploadedAt'>): Promise<void>;
  /** The grants of `keys` that exist, in no particular order. */
  getMany(keys: readonly string[]): Promise<AttachmentGrant[]>;
  /** Records that the bytes were checked and published; idempotent. */
  markUploaded(key: string, at: string): Promise<void>;
}

export interface AttachmentDeps {
  grants: AttachmentGrants;
  blobs: Pick<BlobStore, 'createUpload' | 'stat' | 'publish'>;
  clock: () => Date;
  newId: () => string;
  maxBytes: number;
}
