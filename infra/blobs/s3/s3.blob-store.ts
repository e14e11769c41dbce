import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  BlobStat,
  BlobStore,
  ContentSniffer,
  DownloadRequest,
  SignedDownload,
  SignedUpload,
  UploadRequest,
} from '../blob-store.js';
import { contentDispositionOf } from '../content-disposition.js';

export interface S3BlobStoreOptions {
  /** Where Parley itself reaches the store (bucket, stat, ping). */
  endpoint: string;
  /**
   * Where browsers reach it, which signed URLs point at (default: `endpoint`). The host
   * is part of the SigV4 signature, so URLs are signed for this one, not rewritten.
   */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  ttlSeconds: number;
  /** `stat` reads as many first bytes as it needs. */
  sniffer: ContentSniffer;
  now?: () => Date;
}

/** Where uploads land until published; nothing serves objects under it. */
const INCOMING_PREFIX = 'incoming/';

/**
 * S3 (or MinIO, or any S3-compatible server): presigned URLs that the store
 * itself enforces. An upload URL signs `content-length` and `content-type`, so S3
 * refuses a body of another size or type; a download URL carries the content type
 * and `Content-Disposition` S3 answers with.
 *
 * Uploads go to `incoming/<key>`, downloads read `<key>`: publishing copies the
 * checked upload across (only if its ETag is still the one checked) and deletes it.
 * An upload URL cannot be revoked, but what it writes later is never served.
 * Nothing else deletes under `incoming/`: a lifecycle rule can (README).
 */
export class S3BlobStore implements BlobStore {
  readonly engine = 's3';

  private constructor(
    /** Server-side calls, on `endpoint`. */
    private readonly client: S3Client,
    /** Signs the URLs handed to clients, for `publicEndpoint`; never sends a request. */
    private readonly signer: S3Client,
    private readonly bucket: string,
    private readonly ttlSeconds: number,
    private readonly headBytes: number,
    private readonly now: () => Date,
  ) {}

  /** Connects and creates the bucket when it does not exist yet. */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const store = S3BlobStore.create(options);
    await store.ensureBucket();
    return store;
  }

  /** A store with no round trip yet (signing works offline); `open` also makes sure the bucket exists. */
  static create(options: S3BlobStoreOptions): S3BlobStore {
    const client = clientFor(options.endpoint, options);
    const publicEndpoint = options.publicEndpoint ?? options.endpoint;
    const signer = publicEndpoint === options.endpoint ? client : clientFor(publicEndpoint, options);
    return new S3BlobStore(
      client,
      signer,
      options.bucket,
      options.ttlSeconds,
      options.sniffer.headBytes,
      options.now ?? (() => new Date()),
    );
  }

  private async ensureBucket(): Promise<void> {
    try {
      await this.ping();
    } catch (error) {
      if (!isMissing(error)) {
        await this.close();
        throw error;
      }
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async createUpload(request: UploadRequest): Promise<SignedUpload> {
    const expiresAt = this.expiry();
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: INCOMING_PREFIX + request.key,
      ContentType: request.contentType,
      ContentLength: request.size,
    });
    const url = await getSignedUrl(this.signer, command, {
      expiresIn: this.ttlSeconds,
      signingDate: this.now(),
      // Signed as headers (not hoisted into the query), so the store checks the body against them.
      signableHeaders: new Set(['content-length', 'content-type']),
      unhoistableHeaders: new Set(['content-type']),
    });
    return { url, method: 'PUT', headers: { 'content-type': request.contentType }, expiresAt };
  }

  async createDownload(request: DownloadRequest): Promise<SignedDownload> {
    const expiresAt = this.expiry();
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: request.key,
      ResponseContentType: request.contentType,
      ResponseContentDisposition: contentDispositionOf(request.contentType, request.filename),
    });
    const url = await getSignedUrl(this.signer, command, {
      expiresIn: this.ttlSeconds,
      signingDate: this.now(),
    });
    return { url, expiresAt };
  }

  async stat(key: string): Promise<BlobStat | null> {
    return (await this.firstBytesOf(key)) ?? (await this.firstBytesOf(INCOMING_PREFIX + key));
  }

  async publish(key: string, version: string): Promise<boolean> {
    // Published already: the copy below would overwrite it. (S3 has `If-None-Match`
    // on copies, but S3-compatible servers that lack it may refuse the request.)
    if ((await this.etagOf(key)) !== null) return true;
    const incoming = INCOMING_PREFIX + key;
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${incoming}`,
          // Uploaded again since it was checked: S3 answers 412 and copies nothing.
          CopySourceIfMatch: version,
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      if (!isMissing(error)) throw error;
      // The upload is gone: a concurrent publish of it just finished, or it never was.
      return (await this.etagOf(key)) !== null;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: incoming }));
    return true;
  }

  /**
   * One ranged GET: the bytes never pass through Parley on upload, so their first
   * bytes are read here, and the size comes from `Content-Range` (`bytes 0-11/<size>`).
   */
  private async firstBytesOf(name: string): Promise<BlobStat | null> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: name, Range: `bytes=0-${this.headBytes - 1}` }),
      );
      const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      // A server that ignores Range answers 200 with the whole object (read in full, at
      // most ATTACHMENT_MAX_BYTES): its length is the size.
      const size = sizeOfRange(object.ContentRange) ?? object.ContentLength ?? body.length;
      return { size, firstBytes: body.subarray(0, this.headBytes), version: object.ETag ?? '' };
    } catch (error) {
      if (isMissing(error)) return null;
      if (!isUnsatisfiableRange(error)) throw error;
      // No byte 0 to serve: the object exists and is empty (or was deleted just now).
      const version = await this.etagOf(name);
      return version === null ? null : { size: 0, firstBytes: Buffer.alloc(0), version };
    }
  }

  /** The object's ETag, or null when there is no such object. */
  private async etagOf(name: string): Promise<string | null> {
    try {
      const object = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: name }));
      return object.ETag ?? '';
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  close(): Promise<void> {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
    return Promise.resolve();
  }

  private expiry(): Date {
    return new Date(this.now().getTime() + this.ttlSeconds * 1000);
  }
}

function clientFor(endpoint: string, options: S3BlobStoreOptions): S3Client {
  return new S3Client({
    endpoint,
    region: options.region,
    // MinIO and other self-hosted servers serve buckets as paths, not subdomains.
    forcePathStyle: true,
    // A presigned PUT cannot know the body's checksum: only add one where S3 insists.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
  });
}

/** The total size in a `Content-Range: bytes <first>-<last>/<size>` header, when given. */
function sizeOfRange(contentRange: string | undefined): number | undefined {
  const total = contentRange?.match(/\/(\d+)$/)?.[1];
  return total === undefined ? undefined : Number(total);
}

function isUnsatisfiableRange(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 416 || error.name === 'InvalidRange')
  );
}

function isPreconditionFailed(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 412 || error.name === 'PreconditionFailed')
  );
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey')
  );
}
