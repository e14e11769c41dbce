import { mkdtemp, rm } from 'node:fs/promises';
import { attachmentSniffer } from '../../../domain/attachments/magic-numbers.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobStoreConformance } from '../blob-store.conformance.js';
import { S3BlobStore } from './s3.blob-store.js';

/**
 * The S3 engine against a real S3-compatible server: S3_TEST_ENDPOINT (a MinIO,
 * with S3_TEST_ACCESS_KEY_ID / S3_TEST_SECRET_ACCESS_KEY) when set, else s3rver
 * (from npm) started here. s3rver checks expiry but not SigV4 signatures, so the
 * cases where the server must refuse a body against the signed headers run only
 * against MinIO or S3; what the URLs sign is checked below either way.
 */
const given = process.env.S3_TEST_ENDPOINT;

interface S3Server {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop: () => Promise<void>;
}

async function startS3(): Promise<S3Server> {
  if (given) {
    return {
      endpoint: given,
      credentials: {
        accessKeyId: process.env.S3_TEST_ACCESS_KEY_ID ?? '',
        secretAccessKey: process.env.S3_TEST_SECRET_ACCESS_KEY ?? '',
      },
      stop: async () => {},
    };
  }
  const directory = await mkdtemp(path.join(tmpdir(), 'parley-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

const bucketName = () => `parley-test-${randomUUID().slice(0, 8)}`;

blobStoreConformance(
  's3',
  async () => {
    const { endpoint, credentials, stop } = await startS3();
    const bucket = bucketName();
    return {
      baseUrl: endpoint,
      open: (now) =>
        S3BlobStore.open({
          endpoint,
          bucket,
          region: 'us-east-1',
          ...credentials,
          ttlSeconds: 60,
          sniffer: attachmentSniffer,
          now,
        }),
      close: stop,
    };
  },
  {
    signaturesUnchecked: given
      ? undefined
      : 's3rver accepts any SigV4 signature; set S3_TEST_ENDPOINT to a MinIO to run them',
    conditionalCopyUnchecked: given
      ? undefined
      : 's3rver ignores x-amz-copy-source-if-match; set S3_TEST_ENDPOINT to a MinIO to run it',
  },
);

describe('S3 URLs', () => {
  const store = S3BlobStore.create({
    endpoint: 'http://127.0.0.1:9000',
    bucket: 'attachments',
    region: 'us-east-1',
    accessKeyId: 'id',
    secretAccessKey: 'secret',
    ttlSeconds: 300,
    sniffer: attachmentSniffer,
  });

  it('an upload signs content-length and content-type as headers, so S3 refuses another size or type', async () => {
    const upload = await store.createUpload({ key: 'u/1', contentType: 'image/png', size: 1234 });
    const url = new URL(upload.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(upload.headers).toEqual({ 'content-type': 'image/png' });
  });

  it('an upload goes aside, under incoming/, where no download URL points', async () => {
    const upload = await store.createUpload({ key: 'u/1', contentType: 'image/png', size: 1234 });
    expect(new URL(upload.url).pathname).toBe('/attachments/incoming/u/1');
    const download = await store.createDownload({ key: 'u/1', filename: 'a.png', contentType: 'image/png' });
    expect(new URL(download.url).pathname).toBe('/attachments/u/1');
  });

  it('a download names the disposition and type S3 answers with', async () => {
    const download = await store.createDownload({
      key: 'u/1',
      filename: 'page.html',
      contentType: 'text/html',
    });
    const url = new URL(download.url);
    expect(url.searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="page.html"/);
    expect(url.searchParams.get('response-content-type')).toBe('text/html');
  });
});

/** The same server under another host name, as a browser outside compose's network would name MinIO. */
function otherAddressOf(endpoint: string): string | null {
  const url = new URL(endpoint);
  if (url.hostname === '127.0.0.1') url.hostname = 'localhost';
  else if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  else return null;
  return url.origin;
}

describe('S3 with a public endpoint', () => {
  let server: S3Server;
  let store: S3BlobStore;
  let publicEndpoint: string | null;
  beforeAll(async () => {
    server = await startS3();
    publicEndpoint = otherAddressOf(server.endpoint);
    if (!publicEndpoint) return;
    store = await S3BlobStore.open({
      endpoint: server.endpoint,
      publicEndpoint,
      bucket: bucketName(),
      region: 'us-east-1',
      ...server.credentials,
      ttlSeconds: 60,
      sniffer: attachmentSniffer,
    });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('signs URLs for the public host, and what is uploaded through them is seen by stat on the internal one', async ({
    skip,
  }) => {
    if (!publicEndpoint) return skip(`S3_TEST_ENDPOINT is neither 127.0.0.1 nor localhost`);
    const key = `${randomUUID()}/${randomUUID()}`;
    const bytes = randomBytes(3000);
    const upload = await store.createUpload({ key, contentType: 'application/pdf', size: bytes.length });
    expect(new URL(upload.url).origin).toBe(publicEndpoint);
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
    expect(put.status).toBe(200);
    const uploaded = await store.stat(key);
    expect(uploaded?.size).toBe(bytes.length);
    expect(await store.publish(key, uploaded!.version)).toBe(true);

    const download = await store.createDownload({ key, filename: 'a.pdf', contentType: 'application/pdf' });
    expect(new URL(download.url).origin).toBe(publicEndpoint);
    const response = await fetch(download.url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('never calls the public endpoint itself: it opens, pings and stats with it unreachable', async () => {
    const unreachable = await S3BlobStore.open({
      endpoint: server.endpoint,
      // `.invalid` never resolves (RFC 2606): any request sent there would fail.
      publicEndpoint: 'http://parley-public.invalid:9000',
      bucket: bucketName(),
      region: 'us-east-1',
      ...server.credentials,
      ttlSeconds: 60,
      sniffer: attachmentSniffer,
    });
    try {
      await unreachable.ping();
      expect(await unreachable.stat(`${randomUUID()}/${randomUUID()}`)).toBeNull();
      const upload = await unreachable.createUpload({ key: 'a/b', contentType: 'text/plain', size: 1 });
      expect(new URL(upload.url).host).toBe('parley-public.invalid:9000');
    } finally {
      await unreachable.close();
    }
  });
});
