import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../support/api-client.js';
import type { TestServer } from '../support/server.js';
import { startSecurityServer } from './support/security-server.js';
import { PNG_SIGNATURE } from '../support/png.js';

/*
 * Signed upload URLs whose declared type the bytes contradict. Tampered signatures,
 * keys, sizes, types and expiries are in gateway/attachments/attachments.e2e.spec.ts;
 * URLs past their expiry in infra/blobs/blob-store.conformance.ts.
 */

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
const HTML = Buffer.from('<html><script>alert(document.cookie)</script></html>');

describe('presigned uploads whose bytes contradict their declared type', () => {
  let server: TestServer;
  let alice: RegisteredUser;
  let conversationId: string;

  beforeAll(async () => {
    server = await startSecurityServer();
    alice = await registerUser(new ApiClient(server.baseUrl), 'alice');
    conversationId = (await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [] })).body.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function upload(contentType: string, bytes: Buffer) {
    const grant = await alice.api.post('/v1/attachments', {
      filename: 'file',
      contentType,
      size: bytes.length,
    });
    expect(grant.status).toBe(201);
    const response = await fetch(new URL(grant.body.uploadUrl, server.baseUrl), {
      method: 'PUT',
      headers: grant.body.headers,
      body: bytes,
    });
    return { key: grant.body.key as string, status: response.status, body: await response.text() };
  }
  const sendWith = (key: string) =>
    alice.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: 'see attached',
      attachments: [key],
    });

  it.each<[string, string, Buffer]>([
    ['HTML declared as image/png', 'image/png', HTML],
    ['a JPEG declared as image/png', 'image/png', Buffer.concat([JPEG, randomBytes(60)])],
    ['a PNG declared as image/gif', 'image/gif', Buffer.concat([PNG_SIGNATURE, randomBytes(60)])],
    ['random bytes declared as image/webp', 'image/webp', randomBytes(64)],
    ['HTML declared as image/jpeg', 'image/jpeg', HTML],
  ])('refuses %s with 400, and the key stays unusable', async (_, contentType, bytes) => {
    const uploaded = await upload(contentType, bytes);
    expect(uploaded.status).toBe(400);
    expect(JSON.parse(uploaded.body).error).toMatchObject({
      code: 'bad_request',
      details: { field: 'content-type' },
    });
    const sent = await sendWith(uploaded.key);
    expect(sent.status).toBe(400);
    expect(sent.body.error.details).toEqual({ field: 'attachments' });
  });

  it.each<[string, string, Buffer]>([
    ['a PNG', 'image/png', Buffer.concat([PNG_SIGNATURE, randomBytes(60)])],
    ['a JPEG', 'image/jpeg', Buffer.concat([JPEG, randomBytes(60)])],
    ['a GIF', 'image/gif', Buffer.concat([Buffer.from('GIF89a'), randomBytes(60)])],
    [
      'a WebP',
      'image/webp',
      Buffer.concat([Buffer.from('RIFF'), randomBytes(4), Buffer.from('WEBP'), randomBytes(50)]),
    ],
    // Types that always download as attachments are not sniffed: any bytes will do.
    ['any bytes as application/octet-stream', 'application/octet-stream', randomBytes(64)],
    ['HTML as text/html (served as an attachment, never inline)', 'text/html', HTML],
  ])('accepts %s', async (_, contentType, bytes) => {
    const uploaded = await upload(contentType, bytes);
    expect(uploaded.status).toBe(200);
    expect((await sendWith(uploaded.key)).status).toBe(201);
  });
});
