import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../../logging/logger.js';
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
import { removeFilesUnchangedSince } from './stale-files.js';

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
  /** How often unsent uploads are swept (see `sweepUnsentUploads`); 0: never. Defaults to hourly. */
  sweepEveryMs?: number;
  /** Told when a sweep fails (a full or read-only disk); the next sweep tries again. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * An upload no message referenced within a day is removed, as the lifecycle rule
 * README asks for on S3's `incoming/`: a send naming its key afterwards answers 400.
 */
export const UNSENT_UPLOAD_RETENTION_MS = 24 * 60 * 60 * 1000;
const DEFAULT_SWEEP_EVERY_MS = 60 * 60 * 1000;

export type GrantCheck = { ok: true; grant: BlobGrant } | { ok: false; reason: string };
export type UploadOutcome = 'stored' | 'too_large' | 'too_small' | 'type_mismatch' | 'published';

/**
 * The embedded engine: bytes on local disk, and URLs that Parley serves itself
 * (`gateway/attachments/blob.routes.ts`), signed with HMAC-SHA256 over the key,
 * method, content type, size (PUT) or filename (GET), and expiry. The signing key
 * is generated once and kept beside the bytes, so URLs survive a restart.
 *
 * Uploads land in `incoming/<key>`; publishing hard-links the checked file to
 * `blobs/<key>`, which downloads read and no upload ever writes.
 */
export class LocalBlobStore implements BlobStore {
  readonly engine = 'local';
  private sweeper: NodeJS.Timeout | undefined;

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
    const store = new LocalBlobStore(
      dir,
      secret,
      options.ttlSeconds,
      options.sniffer,
      options.now ?? (() => new Date()),
    );
    const every = options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS;
    if (every > 0) {
      store.sweeper = setInterval(() => {
        store.sweepUnsentUploads().catch((error: unknown) => {
          options.logger?.warn({ err: error }, 'sweeping unsent uploads failed; trying again next time');
        });
      }, every).unref();
    }
    return store;
  }

  /**
   * Removes, once older than `UNSENT_UPLOAD_RETENTION_MS`, uploads no message
   * published (never sent) and the partial files of uploads cut off mid-way (a
   * crash while streaming); published bytes are never touched.
   * Resolves to how many files it removed.
   */
  async sweepUnsentUploads(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - UNSENT_UPLOAD_RETENTION_MS);
    const unsent = await removeFilesUnchangedSince(path.join(this.dir, 'incoming'), cutoff);
    return unsent + (await removeFilesUnchangedSince(path.join(this.dir, 'tmp'), cutoff));
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
    const file =
      (await open(this.pathOf(key), 'r').catch(nullWhenMissing)) ??
      (await open(this.incomingPathOf(key), 'r').catch(nullWhenMissing));
    if (!file) return null;
    try {
      // One handle for every answer: a re-upload renamed in between cannot mix two objects.
      const identity = await file.stat({ bigint: true });
      const size = Number(identity.size);
      const firstBytes = Buffer.alloc(Math.min(size, this.sniffer.headBytes));
      const { bytesRead } = await file.read(firstBytes, 0, firstBytes.length, 0);
      return { size, firstBytes: firstBytes.subarray(0, bytesRead), version: versionOf(identity) };
    } finally {
      await file.close();
    }
  }

  /**
   * Claims the upload by renaming it to a name of its own (atomic: whatever file is
   * there then is the one claimed), and links it to the published name only if it
   * is the version that was checked. `link` refuses an existing name, so the first
   * publish of a key is the last.
   */
  async publish(key: string, version: string): Promise<boolean> {
    if (!LocalBlobStore.isKey(key)) return false;
    if (await this.isPublished(key)) return true;
    const incoming = this.incomingPathOf(key);
    const claimed = path.join(this.dir, 'tmp', randomUUID());
    try {
      await rename(incoming, claimed);
    } catch (error) {
      nullWhenMissing(error); // anything but "no upload there" is a fault
      return this.isPublished(key);
    }
    try {
      if (versionOf(await stat(claimed, { bigint: true })) !== version) {
        // Uploaded again since it was checked: put the newer upload back unless a newer one still came.
        await link(claimed, incoming).catch(unlessExists);
        return false;
      }
      await mkdir(path.dirname(this.pathOf(key)), { recursive: true });
      await link(claimed, this.pathOf(key)).catch(unlessExists);
      return true;
    } finally {
      await rm(claimed, { force: true });
    }
  }

  async ping(): Promise<void> {
    await stat(this.dir);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

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
   * as its first bytes contradict `contentType` (the sniffer), or at once when `key`
   * is published already; it becomes the upload under `key` only when complete
   * (written aside, then renamed).
   */
  async write(key: string, size: number, body: Readable, contentType = ''): Promise<UploadOutcome> {
    if (await this.isPublished(key)) return 'published';
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
      const incoming = this.incomingPathOf(key);
      await mkdir(path.dirname(incoming), { recursive: true });
      await rename(partial, incoming);
      renamed = true;
      // Published while this upload streamed: it would never be served, so it is not kept.
      if (!(await this.isPublished(key))) return outcome;
      await rm(incoming, { force: true });
      return 'published';
    } finally {
      if (!renamed) await rm(partial, { force: true });
    }
  }

  /** The published bytes of `key`, or null. */
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

  private isPublished(key: string): Promise<boolean> {
    return stat(this.pathOf(key)).then(
      () => true,
      (error: unknown) => nullWhenMissing(error) ?? false,
    );
  }

  /** Published bytes. */
  private pathOf(key: string): string {
    return path.join(this.dir, 'blobs', ...key.split('/'));
  }

  /** The upload, until it is published. */
  private incomingPathOf(key: string): string {
    return path.join(this.dir, 'incoming', ...key.split('/'));
  }
}

/**
 * A file's identity: every upload is a new file (written aside, renamed into
 * place), so another upload has another inode, or at least another mtime should
 * the inode number be reused.
 */
function versionOf(identity: { ino: bigint; mtimeNs: bigint }): string {
  return `${identity.ino}-${identity.mtimeNs}`;
}

function unlessExists(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}

function nullWhenMissing(error: unknown): null {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  throw error;
}
