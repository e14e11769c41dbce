import {
  CreateBucketCommand,
  GetObjectCommand,
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

/**
 * S3 (or MinIO, or any S3-compatible server): presigned URLs that the store
 * itself enforces. An upload URL signs `content-length` and `content-type`, so S3
 * refuses a body of another size or type; a download URL carries the content type
 * and `Content-Disposition` S3 answers with.
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
      Key: request.key,
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

  /**
   * One ranged GET: the bytes never pass through Parley on upload, so their first
   * bytes are read here, and the size comes from `Content-Range` (`bytes 0-11/<size>`).
   */
  async stat(key: string): Promise<BlobStat | null> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${this.headBytes - 1}` }),
      );
      const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      // A server that ignores Range answers 200 with the whole object (read in full, at
      // most ATTACHMENT_MAX_BYTES): its length is the size.
      const size = sizeOfRange(object.ContentRange) ?? object.ContentLength ?? body.length;
      return { size, firstBytes: body.subarray(0, this.headBytes) };
    } catch (error) {
      if (isMissing(error)) return null;
      // No byte 0 to serve: the object exists and is empty.
      if (isUnsatisfiableRange(error)) return { size: 0, firstBytes: Buffer.alloc(0) };
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

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey')
  );
}
