import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../infra/sql/migrate.js';
import { openTestSql, sqlEngines } from '../../infra/sql/testing/sql-engines.js';
import { conversationsMigrations } from '../../readmodels/conversations/conversations.schema.js';
import { messagesMigrations } from '../../readmodels/messages/messages.schema.js';
import { planDigests, type DigestCover } from './digest-planner.js';
import { notificationsMigrations } from './notifications.schema.js';
import { nobodyOnline } from './user-presence.js';

/**
 * Which messages a digest covers, decided over read-model rows as the projections
 * leave them: a two-member conversation per case, its messages written with the
 * age and sender each case needs, then one planner round at `NOW`.
 */

const NOW = new Date('2026-11-24T12:00:00.000Z');
const SETTINGS = { delaySeconds: 600, intervalSeconds: 3600 };

interface Message {
  /** Seconds before NOW. */
  age: number;
  from: 'reader' | 'other';
  deleted?: boolean;
}

describe.each(sqlEngines)('digest planner on %s', (name) => {
  let engine: Awaited<ReturnType<typeof openTestSql>>;

  beforeAll(async () => {
    engine = await openTestSql(name, 'digest_planner');
    await migrate(engine.sql, 'conversations', conversationsMigrations);
    await migrate(engine.sql, 'messages', messagesMigrations);
    await migrate(engine.sql, 'notifications', notificationsMigrations);
  });
  afterAll(() => engine?.close());

  /** A conversation of `reader` and one other member, holding `messages` as seqs 1, 2 …; answers the reader's digest. */
  async function digestFor(messages: Message[], readSeq = 0): Promise<DigestCover[] | undefined> {
    const { sql } = engine;
    const conversationId = randomUUID();
    const reader = randomUUID();
    const other = randomUUID();
    await sql.query(
      `insert into conversations (id, kind, created_at, last_seq, last_rev, last_activity_at)
       values ($1, 'group', $2, $3, $3, $2)`,
      [conversationId, new Date(NOW.getTime() - 86_400_000), messages.length],
    );
    for (const [index, userId] of [reader, other].entries()) {
      await sql.query(
        `insert into conversation_members (conversation_id, user_id, role, joined_at, joined_rev, joined_index, read_seq)
         values ($1, $2, 'member', $3, 0, $4, $5)`,
        [conversationId, userId, NOW, index, userId === reader ? readSeq : messages.length],
      );
    }
    for (const [index, message] of messages.entries()) {
      await sql.query(
        `insert into messages (id, conversation_id, seq, sender_id, client_msg_id, body, created_at, deleted, rev)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $3)`,
        [
          randomUUID(),
          conversationId,
          index + 1,
          message.from === 'reader' ? reader : other,
          randomUUID(),
          message.deleted ? null : `message ${index + 1}`,
          new Date(NOW.getTime() - message.age * 1000),
          message.deleted === true,
        ],
      );
    }
    await planDigests({ sql, presence: nobodyOnline, settings: SETTINGS }, NOW);
    const rows = await sql.query<{ covers: DigestCover[] }>(
      'select covers from notification_outbox where user_id = $1',
      [reader],
    );
    expect(rows.length).toBeLessThanOrEqual(1);
    return rows[0]?.covers;
  }

  const old = 3600;
  const young = 60;
  /** `count` messages from the other member, all old enough to mail. */
  const oldFromOther = (count: number) =>
    Array.from({ length: count }, (): Message => ({ age: old, from: 'other' }));

  it('covers unread messages from others up to the newest one older than the delay', async () => {
    const covers = await digestFor([
      { age: old, from: 'other' },
      { age: old, from: 'other' },
      { age: 601, from: 'other' },
      { age: 599, from: 'other' },
      { age: young, from: 'other' },
    ]);
    expect(covers).toEqual([expect.objectContaining({ afterSeq: 0, toSeq: 3, unreadCount: 3 })]);
  });

  it('covers every message sent in the same millisecond as the last one due', async () => {
    const covers = await digestFor(oldFromOther(3));
    expect(covers).toEqual([expect.objectContaining({ toSeq: 3 })]);
  });

  it('starts after the read marker', async () => {
    const covers = await digestFor(oldFromOther(3), 1);
    expect(covers).toEqual([expect.objectContaining({ afterSeq: 1, toSeq: 3, unreadCount: 2 })]);
  });

  it('mails nothing when every message older than the delay is read', async () => {
    const messages: Message[] = [...oldFromOther(2), { age: young, from: 'other' }];
    expect(await digestFor(messages, 2)).toBeUndefined();
  });

  it('mails nothing while every unread message is younger than the delay, however many there are', async () => {
    const messages = Array.from({ length: 300 }, (): Message => ({ age: young, from: 'other' }));
    expect(await digestFor([{ age: old, from: 'reader' }, ...messages])).toBeUndefined();
  });

  it("never ends a digest on the reader's own message", async () => {
    const covers = await digestFor([
      { age: old, from: 'other' },
      { age: old, from: 'reader' },
      { age: old, from: 'reader' },
    ]);
    expect(covers).toEqual([expect.objectContaining({ toSeq: 1 })]);
    expect(
      await digestFor([
        { age: old, from: 'reader' },
        { age: old, from: 'reader' },
      ]),
    ).toBeUndefined();
  });

  it('never ends a digest on a deleted message', async () => {
    const covers = await digestFor([
      { age: old, from: 'other' },
      { age: old, from: 'other', deleted: true },
    ]);
    expect(covers).toEqual([expect.objectContaining({ toSeq: 1 })]);
    expect(await digestFor([{ age: old, from: 'other', deleted: true }])).toBeUndefined();
  });
});
