import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';
import { PNG_SIGNATURE } from '../../test/support/png.js';
import { WsClient } from '../../test/support/ws-client.js';

const MAX_BYTES = 2 * 1024 * 1024;

interface Upload {
  key: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

describe.each<TestMode>(['embedded', 'postgres'])('attachments on local disk (%s)', (mode) => {
  let server: TestServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let mallory: RegisteredUser;
  let conversationId: string;

  beforeAll(async () => {
    server = await startTestServer(mode, { ATTACHMENT_MAX_BYTES: String(MAX_BYTES) });
    const anonymous = new ApiClient(server.baseUrl);
    alice = await registerUser(anonymous, 'alice');
    bob = await registerUser(anonymous, 'bob');
    mallory = await registerUser(anonymous, 'mallory');
    const created = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [bob.id] });
    expect(created.status).toBe(201);
    conversationId = created.body.id as string;
  });
  afterAll(async () => {
    await server?.close();
  });

  const absolute = (url: string) => new URL(url, server.baseUrl).toString();
  const grant = async (
    user: RegisteredUser,
    file: { filename: string; contentType: string; size: number },
  ) => {
    const response = await user.api.post<Upload>('/v1/attachments', file);
    expect(response.status).toBe(201);
    return response.body;
  };
  const put = (url: string, headers: Record<string, string>, bytes: Buffer) =>
    fetch(absolute(url), { method: 'PUT', headers, body: bytes });
  const uploaded = async (user: RegisteredUser, bytes: Buffer, contentType = 'application/pdf') => {
    const upload = await grant(user, { filename: 'minutes.pdf', contentType, size: bytes.length });
    expect((await put(upload.uploadUrl, upload.headers, bytes)).status).toBe(200);
    return upload;
  };
  const send = (user: RegisteredUser, attachments: string[]) =>
    user.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body: 'see attached',
      attachments,
    });

  it('another member downloads the same bytes, with their type and as an attachment', async () => {
    // Past the API's 256 KiB body limit: the upload route alone accepts more, streamed to disk.
    const bytes = randomBytes(1024 * 1024 + 7);
    const upload = await uploaded(alice, bytes);
    expect(upload.key).toMatch(new RegExp(`^${alice.id}/`));
    expect(upload.method).toBe('PUT');
    expect(upload.headers).toEqual({ 'content-type': 'application/pdf' });
    expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());

    const sent = await send(alice, [upload.key]);
    expect(sent.status).toBe(201);
    expect(sent.body.attachments).toEqual([
      {
        key: upload.key,
        filename: 'minutes.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
        url: expect.any(String),
      },
    ]);

    const page = await bob.api.get(`/v1/conversations/${conversationId}/messages`);
    const [attachment] = page.body.items.find((item: { id: string }) => item.id === sent.body.id).attachments;
    const download = await fetch(absolute(attachment.url));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="minutes.pdf"/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses to replace the bytes of a sent attachment (409), and keeps serving them', async () => {
    const png = Buffer.concat([PNG_SIGNATURE, randomBytes(300)]);
    const other = Buffer.concat([PNG_SIGNATURE, randomBytes(300)]);
    const upload = await uploaded(alice, png, 'image/png');
    const sent = await send(alice, [upload.key]);
    expect(sent.status).toBe(201);

    const replaced = await put(upload.uploadUrl, upload.headers, other);
    expect(replaced.status).toBe(409);
    expect(await replaced.json()).toMatchObject({ error: { code: 'conflict' } });
    const page = await bob.api.get(`/v1/conversations/${conversationId}/messages`);
    const [attachment] = page.body.items.find((item: { id: string }) => item.id === sent.body.id).attachments;
    const download = await fetch(absolute(attachment.url));
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);
  });

  it('sends the bytes uploaded last when the upload is replaced before the message', async () => {
    const first = randomBytes(500);
    const second = randomBytes(500);
    const upload = await uploaded(alice, first);
    expect((await put(upload.uploadUrl, upload.headers, second)).status).toBe(200);
    const sent = await send(alice, [upload.key]);
    expect(sent.status).toBe(201);
    const download = await fetch(absolute(sent.body.attachments[0].url));
    expect(Buffer.from(await download.arrayBuffer()).equals(second)).toBe(true);
  });

  it('serves allow-listed images inline, and HTML or SVG never', async () => {
    for (const [contentType, disposition] of [
      ['image/png', 'inline'],
      ['text/html', 'attachment'],
      ['image/svg+xml', 'attachment'],
    ]) {
      // Starts like a PNG: inline types are refused when their bytes say otherwise.
      const upload = await uploaded(alice, Buffer.concat([PNG_SIGNATURE, randomBytes(56)]), contentType);
      const sent = await send(alice, [upload.key]);
      const download = await fetch(absolute(sent.body.attachments[0].url));
      expect(download.headers.get('content-disposition')?.split(';')[0]).toBe(disposition);
      await download.arrayBuffer();
    }
  });

  it('pushes the full attachment in the live message.create frame', async () => {
    const socket = await WsClient.ready(server.baseUrl, bob.token);
    try {
      const upload = await uploaded(alice, randomBytes(10));
      const sent = await send(alice, [upload.key]);
      const frame = await socket.next(
        (candidate) => candidate.type === 'message.create' && candidate.data.message.id === sent.body.id,
        'the message.create frame',
      );
      expect(frame.data.message.attachments).toEqual([
        expect.objectContaining({
          key: upload.key,
          filename: 'minutes.pdf',
          size: 10,
          url: expect.any(String),
        }),
      ]);
    } finally {
      await socket.close();
    }
  });

  it('gives a non-member no download URL', async () => {
    const upload = await uploaded(alice, randomBytes(10));
    expect((await send(alice, [upload.key])).status).toBe(201);
    const page = await mallory.api.get(`/v1/conversations/${conversationId}/messages`);
    expect(page.status).toBe(404);
    expect(JSON.stringify(page.body)).not.toContain('/v1/blobs/');
  });

  it('refuses a key created by another user with 403', async () => {
    const upload = await uploaded(alice, randomBytes(10));
    const response = await send(bob, [upload.key]);
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
  });

  it('refuses a key whose bytes were not uploaded with 400', async () => {
    const upload = await grant(alice, { filename: 'later.txt', contentType: 'text/plain', size: 5 });
    const response = await send(alice, [upload.key]);
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual({ field: 'attachments' });
  });

  it('refuses a declared size over ATTACHMENT_MAX_BYTES, naming the field', async () => {
    const response = await alice.api.post('/v1/attachments', {
      filename: 'huge.bin',
      contentType: 'application/octet-stream',
      size: MAX_BYTES + 1,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual({ field: 'size' });
  });

  it('refuses an upload larger than its grant with 413, and the key stays unusable', async () => {
    const upload = await grant(alice, { filename: 'a.txt', contentType: 'text/plain', size: 10 });
    const response = await put(upload.uploadUrl, upload.headers, randomBytes(11));
    expect(response.status).toBe(413);
    expect((await send(alice, [upload.key])).status).toBe(400);
  });

  it.each([
    [
      'a path in the filename',
      { filename: '../../etc/passwd', contentType: 'text/plain', size: 1 },
      'filename',
    ],
    [
      'a control character in the filename',
      { filename: 'a\nb.txt', contentType: 'text/plain', size: 1 },
      'filename',
    ],
    [
      'a content type that is not a media type',
      { filename: 'a.txt', contentType: 'text plain', size: 1 },
      'contentType',
    ],
  ])('refuses %s', async (_, file, field) => {
    const response = await alice.api.post('/v1/attachments', file);
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual({ field });
  });

  describe('signed URLs', () => {
    const tamper = (url: string, change: (parsed: URL) => void) => {
      const parsed = new URL(url, server.baseUrl);
      change(parsed);
      return parsed.toString();
    };

    it.each<[string, (url: URL) => void]>([
      ['signature', (url) => url.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`)],
      ['expiry', (url) => url.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600))],
      ['key', (url) => (url.pathname = url.pathname.replace(/[0-9a-f-]{36}$/, randomUUID()))],
      ['size', (url) => url.searchParams.set('size', '11')],
      ['content type', (url) => url.searchParams.set('type', 'text/html')],
    ])('refuses an upload URL with a changed %s (403)', async (_, change) => {
      const upload = await grant(alice, { filename: 'a.txt', contentType: 'text/plain', size: 10 });
      const url = tamper(upload.uploadUrl, change);
      const headers = { 'content-type': new URL(url).searchParams.get('type')! };
      const response = await put(url, headers, randomBytes(Number(new URL(url).searchParams.get('size'))));
      expect(response.status).toBe(403);
    });

    it('refuses a download URL with a changed expiry or filename (403)', async () => {
      const upload = await uploaded(alice, randomBytes(10));
      const sent = await send(alice, [upload.key]);
      const url: string = sent.body.attachments[0].url;
      expect((await fetch(absolute(url))).status).toBe(200);
      const later = tamper(url, (parsed) =>
        parsed.searchParams.set('exp', String(Date.now() / 1000 + 86_400)),
      );
      expect((await fetch(later)).status).toBe(403);
      const renamed = tamper(url, (parsed) => parsed.searchParams.set('name', 'evil.html'));
      expect((await fetch(renamed)).status).toBe(403);
    });

    it('refuses an upload whose Content-Type differs from the grant (400)', async () => {
      const upload = await grant(alice, { filename: 'a.png', contentType: 'image/png', size: 10 });
      const response = await put(upload.uploadUrl, { 'content-type': 'text/html' }, randomBytes(10));
      expect(response.status).toBe(400);
    });
  });
});
