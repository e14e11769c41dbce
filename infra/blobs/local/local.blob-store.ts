import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  BlobStat,
  BlobStore,
  ContentSniffer,
  DownloadRequest,
  SignedDownload,
  SignedUpload,
  UploadRequest,
} from '../blob-store.js';
import {
  grantOf,
  grantQuery,
  isSignatureValid,
  signGrant,
  type BlobGrant,
  type GrantQuery,
} from './url-signature.js';

/** Keys this engine stores: `<uploader uuid>/<uuid>`, which also makes them safe path segments. */
const KEY = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;

export const LOCAL_BLOB_ROUTE_PREFIX = '/v1/blobs/';

export interface LocalBlobStoreOptions {
  /** Folder of the bytes and the signing key (DATA_DIR/attachments). */
  dir: string;
  ttlSeconds: number;
  /** Refuses an upload whose first bytes contradict its type, as soon as they arrive. */
  sniffer: ContentSniffer;
  now?: () => Date;
}

export type GrantCheck = { ok: true; grant: BlobGrant } | { ok: false; reason: string };
export type UploadOutcome = 'stored' | 'too_large' | 'too_small' | 'type_mismatch';

/**
 * The embedded engine: bytes on local disk, and URLs that Parley serves itself
 * (`gateway/attachments/blob.routes.ts`), signed with HMAC-SHA256 over the key,
 * method, content type, size (PUT) or filename (GET), and expiry. The signing key
 * is generated once and kept beside the bytes, so URLs survive a restart.
 */
export class LocalBlobStore implements BlobStore {
  readonly engine = 'local';

  private constructor(
    private readonly dir: string,
    private readonly secret: Buffer,
    private readonly ttlSeconds: number,
    private readonly sniffer: ContentSniffer,
    private readonly now: () => Date,
  ) {}

  static async open(options: LocalBlobStoreOptions): Promise<LocalBlobStore> {
    const dir = path.resolve(options.dir);
    await mkdir(path.join(dir, 'tmp'), { recursive: true });
    const keyFile = path.join(dir, 'signing-key');
    let secret: Buffer;
    try {
      secret = await readFile(keyFile);
    } catch {
      secret = randomBytes(32);
      // `wx`: two processes starting on one folder keep the first key written.
      await writeFile(keyFile, secret, { mode: 0o600, flag: 'wx' }).catch(async () => {
        secret = await readFile(keyFile);
      });
    }
    return new LocalBlobStore(
      dir,
      secret,
      options.ttlSeconds,
      options.sniffer,
      options.now ?? (() => new Date()),
    );
  }

  static isKey(key: string): boolean {
    return KEY.test(key);
  }

  createUpload(request: UploadRequest): Promise<SignedUpload> {
    const grant = this.grant({
      method: 'PUT',
      key: request.key,
      contentType: request.contentType,
      size: request.size,
    });
    return Promise.resolve({
      url: this.urlOf(grant),
      method: 'PUT',
      headers: { 'content-type': request.contentType },
      expiresAt: new Date(grant.expires * 1000),
    });
  }

  createDownload(request: DownloadRequest): Promise<SignedDownload> {
    const grant = this.grant({
      method: 'GET',
      key: request.key,
      contentType: request.contentType,
      filename: request.filename,
    });
    return Promise.resolve({ url: this.urlOf(grant), expiresAt: new Date(grant.expires * 1000) });
  }

  async stat(key: string): Promise<BlobStat | null> {
    if (!LocalBlobStore.isKey(key)) return null;
    const file = await open(this.pathOf(key), 'r').catch(nullWhenMissing);
    if (!file) return null;
    try {
      // One handle for both answers: a re-upload renamed in between cannot mix two objects.
      const { size } = await file.stat();
      const firstBytes = Buffer.alloc(Math.min(size, this.sniffer.headBytes));
      const { bytesRead } = await file.read(firstBytes, 0, firstBytes.length, 0);
      return { size, firstBytes: firstBytes.subarray(0, bytesRead) };
    } finally {
      await file.close();
    }
  }

  async ping(): Promise<void> {
    await stat(this.dir);
  }

  async close(): Promise<void> {}

  /** Whether a request to `/v1/blobs/<key>` carries a valid, unexpired grant for its method. */
  check(method: 'GET' | 'PUT', key: string, query: GrantQuery): GrantCheck {
    if (!LocalBlobStore.isKey(key)) return { ok: false, reason: 'no such blob' };
    const claimed = grantOf(method, key, query);
    if (!claimed) return { ok: false, reason: 'the URL is not a signed blob URL' };
    if (!isSignatureValid(this.secret, claimed.grant, claimed.signature))
      return { ok: false, reason: 'the URL signature is invalid' };
    if (claimed.grant.expires * 1000 <= this.now().getTime())
      return { ok: false, reason: 'the URL has expired' };
    return { ok: true, grant: claimed.grant };
  }

  /**
   * Streams `body` to disk, refusing it as soon as it passes `size` bytes, or as soon
   * as its first bytes contradict `contentType` (the sniffer);
   * it becomes visible under `key` only when complete (written aside, then renamed).
   */
  async write(key: string, size: number, body: Readable, contentType = ''): Promise<UploadOutcome> {
    const partial = path.join(this.dir, 'tmp', randomUUID());
    let received = 0;
    let head = Buffer.alloc(0);
    let outcome = 'stored' as UploadOutcome;
    const { headBytes } = this.sniffer;
    const sniffed = () => this.sniffer.matches(contentType, head);
    const counter = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        received += chunk.length;
        if (received > size) {
          outcome = 'too_large';
          return;
        }
        if (head.length < headBytes) {
          head = Buffer.concat([head, chunk]).subarray(0, headBytes);
          if (head.length === headBytes && !sniffed()) {
            outcome = 'type_mismatch';
            return;
          }
        }
        yield chunk;
      }
    };
    let renamed = false;
    try {
      try {
        await pipeline(body, counter, createWriteStream(partial));
      } catch (error) {
        // Cutting an oversized body short ends the pipeline early; that is the refusal, not a fault.
        if (outcome !== 'too_large' && outcome !== 'type_mismatch') throw error;
      }
      if (outcome === 'stored' && received < size) outcome = 'too_small';
      // A body shorter than the sniffed prefix is judged on what there is.
      if (outcome === 'stored' && !sniffed()) outcome = 'type_mismatch';
      if (outcome !== 'stored') return outcome;
      await mkdir(path.dirname(this.pathOf(key)), { recursive: true });
      await rename(partial, this.pathOf(key));
      renamed = true;
      return outcome;
    } finally {
      if (!renamed) await rm(partial, { force: true });
    }
  }

  /** The stored bytes of `key`, or null. */
  async read(key: string): Promise<{ stream: ReadStream; size: number } | null> {
    if (!LocalBlobStore.isKey(key)) return null;
    const found = await stat(this.pathOf(key)).catch(nullWhenMissing);
    if (!found) return null;
    return { stream: createReadStream(this.pathOf(key)), size: found.size };
  }

  private grant(fields: Omit<BlobGrant, 'expires'>): BlobGrant {
    return { ...fields, expires: Math.floor(this.now().getTime() / 1000) + this.ttlSeconds };
  }

  private urlOf(grant: BlobGrant): string {
    return `${LOCAL_BLOB_ROUTE_PREFIX}${grant.key}?${grantQuery(grant, signGrant(this.secret, grant))}`;
  }

  private pathOf(key: string): string {
    return path.join(this.dir, 'blobs', ...key.split('/'));
  }
}

function nullWhenMissing(error: unknown): null {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  throw error;
}
