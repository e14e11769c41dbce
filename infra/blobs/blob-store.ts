/**
 * Where attachment bytes live. Parley never carries the bytes through its API:
 * it hands out signed URLs, the client uploads and downloads directly, and Parley
 * only asks the store whether an upload arrived.
 *
 * Guarantees every engine keeps (`blob-store.conformance.ts` checks them):
 * - An upload URL accepts one PUT of exactly `size` bytes with the `Content-Type`
 *   given, before `expiresAt`; any other size, type, key or a late request is refused
 *   and stores nothing. Re-uploading before expiry replaces the upload's bytes.
 * - An upload is not downloadable until it is published (`publish`, when a message
 *   first references its key), and what is published is final: an upload URL that
 *   is still valid cannot change it (the local engine refuses the PUT; S3 stores it
 *   aside, where nothing serves it). So the bytes a recipient gets are the bytes that
 *   were checked when the message was sent.
 * - A download URL serves the bytes until `expiresAt` with the content type given and
 *   `Content-Disposition: attachment` unless the type is on the inline allow-list
 *   (`content-disposition.ts`); it is refused afterwards.
 * - `stat` sees an upload as soon as its PUT has answered 2xx (read-after-write), with
 *   the object's first bytes, so a caller can check them against the declared type
 *   (a `ContentSniffer`) on engines whose bytes never pass through Parley.
 * - URLs may be relative (`/v1/blobs/…`): clients resolve them against the API's base URL.
 */
export interface BlobStore {
  readonly engine: 'local' | 's3';
  createUpload(request: UploadRequest): Promise<SignedUpload>;
  createDownload(request: DownloadRequest): Promise<SignedDownload>;
  /**
   * The bytes published under `key`, else those uploaded under it and not yet
   * published, else null (nothing was uploaded there).
   */
  stat(key: string): Promise<BlobStat | null>;
  /**
   * Makes the upload `stat` described as `version` the bytes downloads of `key`
   * serve, for good. False when the upload is no longer that version (uploaded
   * again meanwhile: `stat` again) or there is none; true when `key` is already
   * published (someone else's `publish` of a checked upload won).
   */
  publish(key: string, version: string): Promise<boolean>;
  /** Throws when the store cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether an object's first bytes fit its declared content type. The rule is the
 * domain's (`domain/attachments/magic-numbers.ts`); the composition root hands it in.
 */
export interface ContentSniffer {
  /** How many leading bytes `matches` needs to decide. */
  readonly headBytes: number;
  matches(contentType: string, head: Uint8Array): boolean;
}

export interface BlobStat {
  size: number;
  /** The first `ContentSniffer.headBytes` bytes, or all of them when the object is shorter. */
  firstBytes: Buffer;
  /** Names these very bytes, for `publish`: another upload to the key has another version. */
  version: string;
}

export interface UploadRequest {
  key: string;
  contentType: string;
  /** Exact byte count the upload must have. */
  size: number;
}

export interface SignedUpload {
  url: string;
  method: 'PUT';
  /** Headers the client must send with the PUT, as given. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface DownloadRequest {
  key: string;
  filename: string;
  contentType: string;
}

export interface SignedDownload {
  url: string;
  expiresAt: Date;
}
