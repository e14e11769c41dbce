import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFeature } from '../../app/features/accounts.feature.js';
import { conversationsFeature } from '../../app/features/conversations.feature.js';
import { notificationsFeature, notificationsOf } from '../../app/features/notifications.feature.js';
import { TEST_PASSWORD_HASH_COST } from '../../gateway/auth/testing/accounts-server.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import { createSmtpMailer } from '../../infra/mail/smtp.mailer.js';
import { startSmtpCapture, type SmtpCapture } from '../../infra/mail/testing/smtp-capture.js';
import { userPresenceOf } from '../../infra/notifications/presence-store.user-presence.js';
import { createMemoryPresenceStore } from '../../infra/presence/memory.presence-store.js';
import { createLogger } from '../../infra/logging/logger.js';
import { ApiClient, registerUser, type RegisteredUser } from '../../test/support/api-client.js';
import { startTestServer, type TestMode, type TestServer } from '../../test/support/server.js';
import { waitFor } from '../../test/support/wait-for.js';
import { planDigests } from './digest-planner.js';
import { nobodyOnline } from './user-presence.js';
import { sendDueDigests } from './digest-sender.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A day ahead: every message sent by the tests is past the delay, without waiting. */
const later = new Date(Date.now() + DAY_MS);
const settings = { delaySeconds: 600, intervalSeconds: 3600 };
const logger = createLogger('silent');

describe.each<TestMode>(['postgres', 'embedded'])('offline notifications by mail (%s)', (mode) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let api: ApiClient;
  const presenceStore = createMemoryPresenceStore(2 * DAY_MS);

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer(mode, { SMTP_URL: smtp.url }, [
      accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST }),
      conversationsFeature(),
      notificationsFeature({ presence: userPresenceOf(presenceStore), clock: () => later, schedule: false }),
    ]);
    api = new ApiClient(server.baseUrl);
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  const emailOf = (user: RegisteredUser) => `${user.username}@example.test`;
  const runRound = () => notificationsOf(server.parley.infrastructure)!.runOnce();
  const sql = () => server.parley.infrastructure.sql;

  async function group(owner: RegisteredUser, members: RegisteredUser[], title: string): Promise<string> {
    const created = await owner.api.post('/v1/conversations', {
      kind: 'group',
      title,
      memberIds: members.map((member) => member.id),
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function send(user: RegisteredUser, conversationId: string, body: string): Promise<string> {
    const sent = await user.api.post(`/v1/conversations/${conversationId}/messages`, {
      clientMsgId: randomUUID(),
      body,
    });
    expect(sent.status).toBe(201);
    return sent.body.id as string;
  }

  /** The read model the planner reads has the conversation's first `count` messages. */
  async function projected(conversationId: string, count: number) {
    await waitFor('the messages in the read model', async () => {
      const [row] = await sql().query<{ last_seq: number }>(
        'select last_seq from conversations where id = $1',
        [conversationId],
      );
      return row !== undefined && Number(row.last_seq) >= count;
    });
  }

  describe('muting', () => {
    it('answers 204 to members, again and again, and 404 to anyone else', async () => {
      const [alice, bob, eve] = await Promise.all(
        ['alice', 'bob', 'eve'].map((label) => registerUser(api, label)),
      );
      const conversationId = await group(alice!, [bob!], 'Mute me');
      await projected(conversationId, 0);
      await waitFor('membership in the read model', async () => {
        const answer = await bob!.api.put(`/v1/conversations/${conversationId}/mute`);
        return answer.status === 204;
      });
      expect((await bob!.api.put(`/v1/conversations/${conversationId}/mute`)).status).toBe(204);
      expect((await bob!.api.delete(`/v1/conversations/${conversationId}/mute`)).status).toBe(204);
      expect((await bob!.api.delete(`/v1/conversations/${conversationId}/mute`)).status).toBe(204);
      expect((await eve!.api.put(`/v1/conversations/${conversationId}/mute`)).status).toBe(404);
      expect((await eve!.api.put(`/v1/conversations/${randomUUID()}/mute`)).status).toBe(404);
      expect((await api.put(`/v1/conversations/${conversationId}/mute`)).status).toBe(401);
    });
  });

  describe('digests', () => {
    it('mails one digest for several messages in several conversations, and only once', async () => {
      const [alice, bob, carol] = await Promise.all(
        ['alice', 'bob', 'carol'].map((label) => registerUser(api, label)),
      );
      const trip = await group(alice!, [bob!], 'Trip to Lisbon');
      const books = await group(carol!, [bob!], 'Book club');
      await send(alice!, trip, 'Tickets are booked');
      await send(alice!, trip, 'Hotel too');
      await send(alice!, trip, 'Bring sunscreen');
      await send(carol!, books, 'Next book: Dune');
      await projected(trip, 3);
      await projected(books, 1);

      await runRound();
      expect(smtp.to(emailOf(bob!))).toHaveLength(1);
      const [digest] = smtp.to(emailOf(bob!));
      expect(digest!.subject).toBe('4 unread messages on Parley');
      expect(digest!.text).toContain('Trip to Lisbon: 3 unread');
      expect(digest!.text).toContain('Book club: 1 unread');
      for (const body of ['Tickets are booked', 'Hotel too', 'Bring sunscreen', 'Next book: Dune'])
        expect(digest!.text).toContain(body);
      // The senders read nothing of their own.
      expect(smtp.to(emailOf(alice!))).toEqual([]);

      // Replays of the planner and the sender find nothing new to mail.
      await runRound();
      await planDigests({ sql: sql(), presence: userPresenceOf(presenceStore), settings }, later);
      await sendDueDigests({ sql: sql(), mailer: createSmtpMailer({ url: smtp.url }), logger }, later);
      expect(smtp.to(emailOf(bob!))).toHaveLength(1);

      // A message after the digest, past the interval: the next digest holds it alone.
      await send(alice!, trip, 'One more thing');
      await projected(trip, 4);
      const nextInterval = new Date(later.getTime() + 2 * settings.intervalSeconds * 1000);
      await planDigests({ sql: sql(), presence: userPresenceOf(presenceStore), settings }, nextInterval);
      await sendDueDigests({ sql: sql(), mailer: createSmtpMailer({ url: smtp.url }), logger }, nextInterval);
      expect(smtp.to(emailOf(bob!))).toHaveLength(2);
      const second = smtp.to(emailOf(bob!))[1]!;
      expect(second.text).toContain('Trip to Lisbon: 4 unread');
      expect(second.text).toContain('One more thing');
      expect(second.text).not.toContain('Tickets are booked');
      expect(second.text).not.toContain('Book club');
    });

    it('never mails a muted conversation', async () => {
      const [alice, bob, dave] = await Promise.all(
        ['alice', 'bob', 'dave'].map((label) => registerUser(api, label)),
      );
      const noisy = await group(alice!, [bob!, dave!], 'Noisy group');
      const quiet = await group(alice!, [bob!], 'Quiet group');
      await projected(quiet, 0);
      await waitFor(
        'bob mutes',
        async () => (await bob!.api.put(`/v1/conversations/${noisy}/mute`)).status === 204,
      );
      expect((await dave!.api.put(`/v1/conversations/${noisy}/mute`)).status).toBe(204);
      await send(alice!, noisy, 'Spam spam spam');
      await send(alice!, quiet, 'Only this one matters');
      await projected(noisy, 1);
      await projected(quiet, 1);

      await runRound();
      expect(smtp.to(emailOf(bob!))).toHaveLength(1);
      expect(smtp.to(emailOf(bob!))[0]!.text).toContain('Only this one matters');
      expect(smtp.to(emailOf(bob!))[0]!.text).not.toContain('Spam');
      // Dave's only conversation is muted: no mail at all.
      expect(smtp.to(emailOf(dave!))).toEqual([]);
    });

    it('never mails a user who is online', async () => {
      const [alice, bob] = await Promise.all(['alice', 'bob'].map((label) => registerUser(api, label)));
      const conversationId = await group(alice!, [bob!], 'Live chat');
      await presenceStore.register('node-a', [bob!.id], later);
      await send(alice!, conversationId, 'Are you there?');
      await projected(conversationId, 1);

      await runRound();
      expect(smtp.to(emailOf(bob!))).toEqual([]);

      // Gone since a moment ago: still inside the delay, so still no mail.
      await presenceStore.unregister('node-a', bob!.id, new Date(later.getTime() - 1000));
      await runRound();
      expect(smtp.to(emailOf(bob!))).toEqual([]);
    });

    it('leaves out a message deleted after the digest was decided but before it was sent', async () => {
      const [alice, bob] = await Promise.all(['alice', 'bob'].map((label) => registerUser(api, label)));
      const conversationId = await group(alice!, [bob!], 'Oops');
      await send(alice!, conversationId, 'This one stays');
      const regret = await send(alice!, conversationId, 'The secret plan is here');
      await projected(conversationId, 2);

      expect(
        await planDigests({ sql: sql(), presence: userPresenceOf(presenceStore), settings }, later),
      ).toBe(1);
      expect((await alice!.api.delete(`/v1/conversations/${conversationId}/messages/${regret}`)).status).toBe(
        204,
      );
      await waitFor('the delete in the read model', async () => {
        const rows = await sql().query('select 1 from messages where id = $1 and deleted', [regret]);
        return rows.length === 1;
      });
      await sendDueDigests({ sql: sql(), mailer: createSmtpMailer({ url: smtp.url }), logger }, later);

      const [digest] = smtp.to(emailOf(bob!));
      expect(digest!.text).toContain('This one stays');
      expect(digest!.text).not.toContain('secret plan');
    });

    it('mails nothing of a conversation left or muted after the digest was decided', async () => {
      const [alice, bob, carol] = await Promise.all(
        ['alice', 'bob', 'carol'].map((label) => registerUser(api, label)),
      );
      const conversationId = await group(alice!, [bob!, carol!], 'Soon left');
      await send(alice!, conversationId, 'Private to members');
      await projected(conversationId, 1);
      expect(
        await planDigests({ sql: sql(), presence: userPresenceOf(presenceStore), settings }, later),
      ).toBe(2);

      expect((await bob!.api.delete(`/v1/conversations/${conversationId}/members/${bob!.id}`)).status).toBe(
        204,
      );
      expect((await carol!.api.put(`/v1/conversations/${conversationId}/mute`)).status).toBe(204);
      await waitFor('bob gone from the read model', async () => {
        const rows = await sql().query(
          'select 1 from conversation_members where conversation_id = $1 and user_id = $2',
          [conversationId, bob!.id],
        );
        return rows.length === 0;
      });
      expect(
        await sendDueDigests({ sql: sql(), mailer: createSmtpMailer({ url: smtp.url }), logger }, later),
      ).toBe(0);
      expect(smtp.to(emailOf(bob!))).toEqual([]);
      expect(smtp.to(emailOf(carol!))).toEqual([]);
    });

    it('a sender that dies mid-way leaves the rest to the next, and no mail goes twice', async () => {
      const users = await Promise.all(['alice', 'bob', 'carol'].map((label) => registerUser(api, label)));
      const [alice, bob, carol] = users as [RegisteredUser, RegisteredUser, RegisteredUser];
      const conversationId = await group(alice, [bob, carol], 'Crash test');
      await send(alice, conversationId, 'Hello both');
      await projected(conversationId, 1);
      expect(
        await planDigests({ sql: sql(), presence: userPresenceOf(presenceStore), settings }, later),
      ).toBe(2);

      // The first sender delivers one mail, then hangs forever inside the second (a crash, as far as anyone can tell).
      const smtpMailer = createSmtpMailer({ url: smtp.url });
      let calls = 0;
      let abandon: (error: Error) => void = () => undefined;
      const dying: Mailer = {
        engine: 'smtp',
        send: (mail) =>
          ++calls === 1 ? smtpMailer.send(mail) : new Promise<void>((_, reject) => (abandon = reject)),
        close: () => smtpMailer.close(),
      };
      const firstSender = sendDueDigests({ sql: sql(), mailer: dying, logger }, later);
      await waitFor('the second mail to hang', () => calls === 2);
      const delivered = () => smtp.to(emailOf(bob)).length + smtp.to(emailOf(carol)).length;
      expect(delivered()).toBe(1);

      // A new sender inside the dead one's lease takes nothing; after it, only the undelivered mail.
      const next = { sql: sql(), mailer: smtpMailer, logger };
      expect(await sendDueDigests(next, later)).toBe(0);
      expect(await sendDueDigests(next, new Date(later.getTime() + 10 * 60 * 1000))).toBe(1);
      expect(smtp.to(emailOf(bob))).toHaveLength(1);
      expect(smtp.to(emailOf(carol))).toHaveLength(1);

      abandon(new Error('the old process is gone'));
      await firstSender;
      expect(await sendDueDigests(next, new Date(later.getTime() + DAY_MS))).toBe(0);
      expect(delivered()).toBe(2);
      await smtpMailer.close();
    });
  });
});

describe('offline notifications on their own timer', () => {
  let smtp: SmtpCapture;
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    // The smallest delay and interval: the scheduler's own rounds must find and mail the message.
    server = await startTestServer(
      'postgres',
      { SMTP_URL: smtp.url, NOTIFY_DELAY_SECONDS: '1', NOTIFY_INTERVAL_SECONDS: '1' },
      [
        accountsFeature({ passwordHashCost: TEST_PASSWORD_HASH_COST }),
        conversationsFeature(),
        notificationsFeature({ presence: nobodyOnline }),
      ],
    );
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('mails an offline member once the delay has passed, with no one asking', async () => {
    const api = new ApiClient(server.baseUrl);
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((label) => registerUser(api, label)));
    const created = await alice!.api.post('/v1/conversations', { kind: 'direct', memberIds: [bob!.id] });
    const sent = await alice!.api.post(`/v1/conversations/${created.body.id}/messages`, {
      clientMsgId: randomUUID(),
      body: 'Ping from the timer test',
    });
    expect(sent.status).toBe(201);
    const bobEmail = `${bob!.username}@example.test`;
    await waitFor('the digest', () => smtp.to(bobEmail).length === 1, 20_000);
    expect(smtp.to(bobEmail)[0]!.text).toContain('Ping from the timer test');
    expect(smtp.to(bobEmail)[0]!.text).toContain(`Direct messages from`);
  });
});
