import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { PNG_SIGNATURE } from '../../test/support/png.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';

/**
 * The whole flow with `S3_ENDPOINT` set: the client talks to the S3 server directly, never
 * to /v1/blobs, at `S3_PUBLIC_ENDPOINT` (here the same s3rver named `localhost`).
 */
describe('attachments in S3 (s3rver started here)', () => {
  let s3: S3rver;
  let s3Directory: string;
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let publicEndpoint: string;

  beforeAll(async () => {
    s3Directory = await mkdtemp(path.join(tmpdir(), 'parley-s3rver-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Directory });
    const { port } = await s3.run();
    publicEndpoint = `http://localhost:${port}`;
    server = await startTestServer('embedded', {
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_PUBLIC_ENDPOINT: publicEndpoint,
      S3_BUCKET: `parley-e2e-${randomUUID().slice(0, 8)}`,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    const anonymous = new ApiClient(server.baseUrl);
    alice = await registerUser(anonymous, 'alice');
    bob = await registerUser(anonymous, 'bob');
  });
  afterAll(async () => {
    await server?.close();
    await s3?.close();
    await rm(s3Directory, { recursive: true, force: true });
  });

  it('uploads to S3, refuses the key until then, and lets a member download it', async () => {
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    const conversationId = created.body.id as string;
    const bytes = randomBytes(300_000);
    const upload = await alice.api.post('/v1/attachments', {
      filename: 'plan.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
    });
    expect(upload.status).toBe(201);
    expect(new URL(upload.body.uploadUrl).origin).toBe(publicEndpoint);
    const send = () =>
      alice.api.post(`/v1/conversations/${conversationId}/messages`, {
        clientMsgId: randomUUID(),
        body: 'plan',
        attachments: [upload.body.key],
      });
    expect((await send()).status).toBe(400);

    const put = await fetch(upload.body.uploadUrl, {
      method: 'PUT',
      headers: upload.body.headers,
      body: bytes,
    });
    expect(put.status).toBe(200);
    expect((await send()).status).toBe(201);

    const page = await bob.api.get(`/v1/conversations/${conversationId}/messages`);
    const [attachment] = page.body.items.at(-1).attachments;
    expect(attachment).toMatchObject({
      filename: 'plan.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
    });
    expect(new URL(attachment.url).origin).toBe(publicEndpoint);
    const download = await fetch(attachment.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="plan.pdf"/);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses a key whose bytes contradict its image type with 400, though S3 stored them', async () => {
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    const bytes = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const upload = await alice.api.post('/v1/attachments', {
      filename: 'cat.png',
      contentType: 'image/png',
      size: bytes.length,
    });
    const put = await fetch(upload.body.uploadUrl, {
      method: 'PUT',
      headers: upload.body.headers,
      body: bytes,
    });
    expect(put.status).toBe(200);
    const sent = await alice.api.post(`/v1/conversations/${created.body.id}/messages`, {
      clientMsgId: randomUUID(),
      body: 'a cat',
      attachments: [upload.body.key],
    });
    expect(sent.status).toBe(400);
    expect(sent.body.error).toMatchObject({ code: 'bad_request', details: { field: 'attachments' } });
  });

  it('keeps serving the PNG a message was sent with when its still valid upload URL is used again', async () => {
    const created = await alice.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob.id] });
    const conversationId = created.body.id as string;
    const png = Buffer.concat([PNG_SIGNATURE, randomBytes(120)]);
    // Same size and type header as the grant, so S3 takes it: only the bytes differ.
    const script = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'.padEnd(128),
    );
    const upload = await alice.api.post('/v1/attachments', {
      filename: 'cat.png',
      contentType: 'image/png',
      size: png.length,
    });
    const put = (bytes: Buffer) =>
      fetch(upload.body.uploadUrl, { method: 'PUT', headers: upload.body.headers, body: bytes });
    expect((await put(png)).status).toBe(200);
    const sent = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: 'a cat',
      attachments: [upload.body.key],
    });
    expect(sent.status).toBe(201);

    expect((await put(script)).status).toBe(200);
    const page = await bob.api.get(`/v1/conversations/${conversationId}/messages`);
    const download = await fetch(page.body.items.at(-1).attachments[0].url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);
    // A second message with the key still carries the checked PNG.
    const again = await alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: 'the cat again',
      attachments: [upload.body.key],
    });
    expect(again.status).toBe(201);
    const second = await fetch(again.body.attachments[0].url);
    expect(Buffer.from(await second.arrayBuffer()).equals(png)).toBe(true);
  });
});
