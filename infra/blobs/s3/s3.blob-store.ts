import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  BlobStore,
  DownloadRequest,
  SignedDownload,
  SignedUpload,
  UploadRequest,
} from '../blob-store.js';
import { contentDispositionOf } from '../content-disposition.js';

export interface S3BlobStoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  ttlSeconds: number;
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
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly ttlSeconds: number,
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
    const client = new S3Client({
      endpoint: options.endpoint,
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
    return new S3BlobStore(client, options.bucket, options.ttlSeconds, options.now ?? (() => new Date()));
  }

  private async ensureBucket(): Promise<void> {
    try {
      await this.ping();
    } catch (error) {
      if (!isMissing(error)) {
        this.client.destroy();
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
    const url = await getSignedUrl(this.client, command, {
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
    const url = await getSignedUrl(this.client, command, {
      expiresIn: this.ttlSeconds,
      signingDate: this.now(),
    });
    return { url, expiresAt };
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0 };
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
    return Promise.resolve();
  }

  private expiry(): Date {
    return new Date(this.now().getTime() + this.ttlSeconds * 1000);
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey')
  );
}
