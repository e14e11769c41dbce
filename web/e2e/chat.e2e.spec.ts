import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { ensureWebBuilt } from './web-build';

/** Debian's Chromium: the suite never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumFound = existsSync(CHROMIUM);
if (!chromiumFound)
  process.stdout.write(
    `web client e2e suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
  );

/**
 * Where the chat's screenshot goes: a temporary file, so that a test run leaves the
 * tree clean; `PARLEY_SCREENSHOT=docs/web-client.png` refreshes the README's picture.
 */
const SCREENSHOT = path.resolve(
  process.env.PARLEY_SCREENSHOT ?? path.join(tmpdir(), 'parley-web-client.png'),
);
/** One step's deadline: generous, because registering hashes a password at OWASP's cost. */
const STEP_MS = 60_000;

interface Person {
  page: Page;
  name: string;
  username: string;
  consoleErrors: string[];
}

describe.skipIf(!chromiumFound)('the web client, in Chromium', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let alice: Person;
  let bob: Person;

  beforeAll(async () => {
    await ensureWebBuilt();
    server = await startTestServer('embedded');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Root in a container (no sandbox); nothing reaches out to Google's services.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    alice = await openApp('Alice Martin');
    bob = await openApp('Bob Chen');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openApp(name: string): Promise<Person> {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 720 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(server.baseUrl);
    const username = `${name.split(' ')[0]!.toLowerCase()}_${randomUUID().slice(0, 8)}`;
    return { page, name, username, consoleErrors };
  }

  async function register(person: Person) {
    const { page } = person;
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    await page.getByLabel('Email').fill(`${person.username}@example.test`);
    await page.getByLabel('Username', { exact: true }).fill(person.username);
    await page.getByLabel('Display name').fill(person.name);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('me').filter({ hasText: person.name }).waitFor();
  }

  const message = (person: Person, text: string) =>
    person.page.getByTestId('message-body').filter({ hasText: text });

  const exactMessage = (person: Person, text: string) =>
    person.page.getByTestId('message-body').filter({ hasText: new RegExp(`^${text}$`) });

  /** A whole message (bubble, reactions, actions) by its text. */
  const bubble = (person: Person, text: string) =>
    person.page.getByTestId('message').filter({ has: message(person, text) });

  /** The signed-in user's id, as the page's own session knows it. */
  async function userIdOf(person: Person): Promise<string> {
    return person.page.evaluate(async () => {
      const { accessToken } = JSON.parse(localStorage.getItem('parley.tokens')!) as { accessToken: string };
      const me = await fetch('/v1/me', { headers: { authorization: `Bearer ${accessToken}` } });
      return ((await me.json()) as { id: string }).id;
    });
  }

  async function send(person: Person, text: string) {
    await person.page.getByLabel('Message', { exact: true }).fill(text);
    await person.page.getByLabel('Message', { exact: true }).press('Enter');
  }

  it('two people register and start a direct conversation', async () => {
    await Promise.all([register(alice), register(bob)]);
    await alice.page.getByRole('button', { name: 'New', exact: true }).click();
    await alice.page.getByLabel('Find people by name').fill(bob.username);
    await alice.page.getByTestId('user-result').filter({ hasText: bob.name }).click();
    await alice.page.getByRole('button', { name: 'Start chat' }).click();
    await alice.page.getByTestId('conversation-title').filter({ hasText: bob.name }).waitFor();
  });

  it('a message reaches the other side live, unread until opened, then marked seen', async () => {
    await send(alice, 'Hello Bob, are you there?');
    await message(alice, 'Hello Bob, are you there?').waitFor();
    const row = bob.page.getByTestId('conversation-row').filter({ hasText: alice.name });
    await row.getByTestId('unread-badge').filter({ hasText: '1' }).waitFor();
    await row.click();
    await message(bob, 'Hello Bob, are you there?').waitFor();
    await row.getByTestId('unread-badge').waitFor({ state: 'detached' });
    // Bob's read marker reaches Alice as a receipt under her message.
    await alice.page.getByTestId('seen-by').waitFor();
  });

  it('shows the other person typing, then their answer', async () => {
    await bob.page.getByLabel('Message', { exact: true }).fill('Yes, here');
    await alice.page.getByTestId('conversation-status').filter({ hasText: 'typing' }).waitFor();
    await bob.page.getByLabel('Message', { exact: true }).press('Enter');
    await message(alice, 'Yes, here').waitFor();
    await alice.page.getByTestId('conversation-status').filter({ hasText: 'online' }).waitFor();
  });

  it('someone who was offline sees what they missed when they come back', async () => {
    const bobId = await userIdOf(bob);
    await bob.page.context().setOffline(true);
    await bob.page.getByTestId('connection-banner').waitFor();
    await send(alice, 'Sent while you were offline (1)');
    await send(alice, 'Sent while you were offline (2)');
    await message(alice, 'Sent while you were offline (2)').waitFor();
    await alice.page.getByTestId('pending-message').waitFor({ state: 'detached' });
    expect(await message(bob, 'Sent while you were offline').count()).toBe(0);
    // A conversation Bob joins while away, which no `sync` cursor of his covers yet.
    await alice.page.evaluate(async (bobId) => {
      const { accessToken } = JSON.parse(localStorage.getItem('parley.tokens')!) as { accessToken: string };
      await fetch('/v1/conversations', {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'group', memberIds: [bobId], title: 'Plans made while away' }),
      });
    }, bobId);
    await bob.page.context().setOffline(false);
    await message(bob, 'Sent while you were offline (1)').waitFor();
    await message(bob, 'Sent while you were offline (2)').waitFor();
    await bob.page.getByTestId('conversation-row').filter({ hasText: 'Plans made while away' }).waitFor();
    await bob.page.getByTestId('connection-banner').waitFor({ state: 'detached' });
  });

  it('a file one uploads, the other downloads', async () => {
    const contents = `meeting notes ${randomUUID()}\n`;
    await alice.page.getByTestId('file-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(contents),
    });
    await alice.page.locator('[data-testid="upload-progress"][data-done="true"]').waitFor();
    await send(alice, 'The notes from today');
    const link = bob.page.getByTestId('attachment-link').filter({ hasText: 'notes.txt' });
    await link.waitFor();
    const [download] = await Promise.all([bob.page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(await readFile(await download.path(), 'utf8')).toBe(contents);
  });

  it('shows a preview of an uploaded image', async () => {
    // Any PNG will do: a corner of the page itself.
    const png = await alice.page.screenshot({ clip: { x: 0, y: 0, width: 160, height: 90 } });
    await alice.page
      .getByTestId('file-input')
      .setInputFiles({ name: 'corner.png', mimeType: 'image/png', buffer: png });
    await alice.page.locator('[data-testid="upload-progress"][data-done="true"]').waitFor();
    await send(alice, 'What the app looks like');
    const image = bob.page.locator('img[alt="corner.png"]');
    await image.waitFor();
    await bob.page.waitForFunction(() => {
      const loaded = document.querySelector<HTMLImageElement>('img[alt="corner.png"]');
      return loaded?.naturalWidth === 160;
    });
  });

  it('replies, reactions, edits and deletions reach the other side', async () => {
    await bubble(bob, 'Hello Bob, are you there?').hover();
    await bubble(bob, 'Hello Bob, are you there?').getByRole('button', { name: 'Reply' }).click();
    await send(bob, 'Answering that first message');
    await alice.page
      .locator('.message')
      .filter({ hasText: 'Answering that first message' })
      .locator('.quote', {
        hasText: 'Hello Bob, are you there?',
      })
      .waitFor();

    await bubble(alice, 'Yes, here').hover();
    await bubble(alice, 'Yes, here').getByRole('button', { name: 'React', exact: true }).click();
    await bubble(alice, 'Yes, here').getByRole('button', { name: 'React 👍' }).click();
    await bubble(bob, 'Yes, here').locator('.reaction', { hasText: '1' }).waitFor();

    await bubble(alice, 'Sent while you were offline (1)').hover();
    await bubble(alice, 'Sent while you were offline (1)').getByRole('button', { name: 'Edit' }).click();
    await alice.page.getByLabel('Edit message').fill('Sent while you were offline (one)');
    await alice.page.getByLabel('Edit message').press('Enter');
    await bubble(bob, 'Sent while you were offline (one)').getByText('(edited)').waitFor();

    await bubble(alice, 'Sent while you were offline (2)').hover();
    await bubble(alice, 'Sent while you were offline (2)').getByRole('button', { name: 'Delete' }).click();
    await bob.page.getByTestId('message-deleted').waitFor();
    expect(await message(bob, 'Sent while you were offline (2)').count()).toBe(0);
  });

  it('keeps a screenshot for the README', async () => {
    await bob.page.getByLabel('Message', { exact: true }).fill('Got them, thanks!');
    await alice.page.getByTestId('conversation-status').filter({ hasText: 'typing' }).waitFor();
    // The steps above scrolled Alice's view up (to hover older messages): back to the newest.
    await alice.page
      .getByTestId('messages')
      .evaluate((element) => (element.scrollTop = element.scrollHeight));
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await alice.page.screenshot({ path: SCREENSHOT });
    await bob.page.getByLabel('Message', { exact: true }).fill('');
  });

  it('finds a message by its words and opens its conversation', async () => {
    await bob.page.getByTestId('conversation-list').waitFor();
    await bob.page.getByLabel('Search messages').fill('notes today');
    const hit = bob.page.getByTestId('search-results').getByRole('button').filter({ hasText: 'notes' });
    await hit.locator('mark').first().waitFor();
    await hit.first().click();
    await message(bob, 'The notes from today').waitFor();
  });

  it('after a reload, stays signed in and loads older messages on scrolling up', async () => {
    const conversationId = await alice.page
      .locator('[data-conversation-id]')
      .getAttribute('data-conversation-id');
    // More than one page (50) of history, sent through the API with Alice's own session.
    await alice.page.evaluate(async (id) => {
      const { accessToken } = JSON.parse(localStorage.getItem('parley.tokens')!) as { accessToken: string };
      for (let i = 1; i <= 60; i += 1) {
        await fetch(`/v1/conversations/${id}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ clientMsgId: crypto.randomUUID(), body: `history ${i}` }),
        });
      }
    }, conversationId);
    await bob.page.reload();
    await bob.page.getByTestId('conversation-row').filter({ hasText: alice.name }).click();
    await message(bob, 'history 60').waitFor();
    expect(await exactMessage(bob, 'history 1').count()).toBe(0);
    await bob.page.getByTestId('messages').evaluate((element) => (element.scrollTop = 0));
    await exactMessage(bob, 'history 1').waitFor();
    await bob.page.getByText('This is the start of the conversation.').waitFor();
  });

  it('on a phone-width screen, shows the list or the conversation, with a way back', async () => {
    await bob.page.setViewportSize({ width: 390, height: 800 });
    await bob.page.getByTestId('messages').waitFor();
    expect(await bob.page.getByTestId('conversation-list').isVisible()).toBe(false);
    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await bob.page.getByTestId('conversation-list').waitFor();
    expect(await bob.page.getByTestId('messages').count()).toBe(0);
  });

  it('logged no console error in either browser', () => {
    expect(alice.consoleErrors).toEqual([]);
    expect(bob.consoleErrors).toEqual([]);
  });
});
