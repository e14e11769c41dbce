import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiClient, registerUser } from '../test/support/api-client.js';
import { startTestServer } from '../test/support/server.js';

/** Far below the 72 s keep-alive timeout a close used to wait out. */
const CLOSE_DEADLINE_MS = 20_000;

describe('closing the server', () => {
  it('does not wait for a keep-alive connection whose last answer was a streamed download', async () => {
    const server = await startTestServer('embedded');
    let closed = false;
    try {
      const alice = await registerUser(new ApiClient(server.baseUrl), 'alice');
      const grant = await alice.api.post('/v1/attachments', {
        filename: 'note.txt',
        contentType: 'text/plain',
        size: 5,
      });
      expect(grant.status).toBe(201);
      const absolute = (url: string) => new URL(url, server.baseUrl).toString();
      const upload = await fetch(absolute(grant.body.uploadUrl as string), {
        method: 'PUT',
        headers: grant.body.headers as Record<string, string>,
        body: 'hello',
      });
      expect(upload.status).toBe(200);
      const sent = await alice.api.post('/v1/conversations', { kind: 'group', memberIds: [] });
      const message = await alice.api.post(`/v1/conversations/${sent.body.id as string}/messages`, {
        clientMsgId: randomUUID(),
        body: 'see attached',
        attachments: [grant.body.key],
      });
      expect(message.status).toBe(201);
      // fetch keeps the connection alive after the body is read; the file is streamed from disk.
      const download = await fetch(absolute(message.body.attachments[0].url as string));
      expect(await download.text()).toBe('hello');

      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'hung'>(
        (resolve) => (timer = setTimeout(() => resolve('hung'), CLOSE_DEADLINE_MS)),
      );
      const outcome = await Promise.race([server.close().then(() => 'closed' as const), deadline]);
      clearTimeout(timer);
      closed = outcome === 'closed';
      expect(outcome).toBe('closed');
    } finally {
      if (!closed) await server.close();
    }
  }, 90_000);
});
