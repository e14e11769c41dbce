import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { ApiError } from './api-error';
import { RestClient } from './rest-client';
import { memoryTokenStore, type TokenStore } from './token-store';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('embedded');
});
afterAll(async () => {
  await server?.close();
});

function newAccount() {
  const name = `w${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return {
    email: `${name}@example.test`,
    username: name,
    password: 'correct horse battery',
    displayName: name,
  };
}

/** A client over a clock the test moves, signed in as a fresh account. */
async function signedInClient(options: { onSignedOut?: () => void } = {}) {
  const clock = { now: Date.now() };
  const tokens = memoryTokenStore();
  const client = new RestClient({ baseUrl: server.baseUrl, tokens, now: () => clock.now, ...options });
  const account = newAccount();
  const me = await client.register(account);
  return { client, tokens, clock, me, account };
}

function corruptAccessToken(tokens: TokenStore) {
  const current = tokens.load()!;
  tokens.save({ ...current, accessToken: `${current.accessToken}x` });
}

describe('RestClient', () => {
  it('registers, then logs in with the username and reads the account', async () => {
    const { client, account, me } = await signedInClient();
    const other = new RestClient({ baseUrl: server.baseUrl, tokens: memoryTokenStore() });
    const loggedIn = await other.login(account.username, account.password);
    expect(loggedIn.id).toBe(me.id);
    expect(await client.me()).toMatchObject({ id: me.id, email: account.email });
  });

  it('turns error answers into ApiError with the protocol code', async () => {
    const { account } = await signedInClient();
    const client = new RestClient({ baseUrl: server.baseUrl, tokens: memoryTokenStore() });
    await expect(client.login(account.username, 'wrong password!')).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    await expect(client.register({ ...newAccount(), username: account.username })).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
    });
  });

  describe('silent refresh', () => {
    it('refreshes an access token about to expire before using it', async () => {
      const { client, tokens, clock, me } = await signedInClient();
      const before = tokens.load()!;
      clock.now += before.expiresIn * 1000;
      expect((await client.me()).id).toBe(me.id);
      const after = tokens.load()!;
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(after.expiresAt).toBeGreaterThan(clock.now);
    });

    it('retries once with fresh tokens when the server refuses the access token', async () => {
      const { client, tokens, me } = await signedInClient();
      const spent = tokens.load()!.refreshToken;
      corruptAccessToken(tokens);
      expect((await client.me()).id).toBe(me.id);
      expect(tokens.load()!.refreshToken).not.toBe(spent);
    });

    it('shares one exchange between concurrent callers, so the token family survives', async () => {
      const { client, tokens, me } = await signedInClient();
      const [first, second] = await Promise.all([client.refresh(), client.refresh()]);
      expect(second.refreshToken).toBe(first.refreshToken);
      corruptAccessToken(tokens);
      // A second exchange with the spent token would have revoked the family: this refresh would fail.
      expect((await client.me()).id).toBe(me.id);
    });

    it('signs out when the refresh token is refused', async () => {
      let signedOut = 0;
      const { client, tokens } = await signedInClient({ onSignedOut: () => (signedOut += 1) });
      const current = tokens.load()!;
      tokens.save({ ...current, accessToken: 'not-a-token', refreshToken: 'not-a-refresh-token' });
      await expect(client.me()).rejects.toBeInstanceOf(ApiError);
      expect(signedOut).toBe(1);
      expect(tokens.load()).toBeNull();
      expect(client.signedIn).toBe(false);
    });
  });

  it('uploads an attachment, sends it, and the other member downloads the same bytes', async () => {
    const alice = await signedInClient();
    const bob = await signedInClient();
    const conversation = await alice.client.createConversation({ kind: 'direct', memberIds: [bob.me.id] });
    const bytes = new TextEncoder().encode('hello from the web client');
    const grant = await alice.client.createAttachment({
      filename: 'note.txt',
      contentType: 'text/plain',
      size: bytes.byteLength,
    });
    const progress: number[] = [];
    await alice.client.upload(grant, new Blob([bytes], { type: 'text/plain' }), (fraction) =>
      progress.push(fraction),
    );
    expect(progress.at(-1)).toBe(1);
    await alice.client.sendMessage(conversation.id, {
      clientMsgId: randomUUID(),
      body: 'the note',
      attachments: [grant.key],
    });
    const page = await bob.client.listMessages(conversation.id);
    const attachment = page.items.at(-1)!.attachments[0]!;
    expect(attachment).toMatchObject({ filename: 'note.txt', size: bytes.byteLength });
    const download = await fetch(bob.client.resolve(attachment.url));
    expect(await download.text()).toBe('hello from the web client');
  });
});
