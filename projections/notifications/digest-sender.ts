import type { Logger } from '../../infra/logging/logger.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import { EXCERPTS_PER_CONVERSATION, excerptOf, renderDigest, type DigestSection } from './digest-mail.js';
import type { DigestCover } from './digest-planner.js';

export interface DigestSenderDeps {
  sql: SqlClient;
  mailer: Mailer;
  logger: Logger;
  /** How long a claimed row is a sender's before another may take it over (it died). */
  leaseSeconds?: number;
  /** Rows claimed per round. */
  batchSize?: number;
}

interface ClaimedRow {
  id: string;
  user_id: string;
  covers: DigestCover[] | string;
  attempts: number;
}

const DEFAULT_LEASE_SECONDS = 120;

/** Claims due rows for this sender: unsent, and unclaimed or with a lapsed lease. */
async function claim(sql: SqlClient, now: Date, leaseSeconds: number, batchSize: number) {
  return sql.query<ClaimedRow>(
    `update notification_outbox
        set claimed_until = $1::timestamptz + make_interval(secs => $2), attempts = attempts + 1
      where id in (select id from notification_outbox
                    where sent_at is null and (claimed_until is null or claimed_until < $1)
                    order by created_at limit $3 for update skip locked)
      returning id, user_id, covers, attempts`,
    [now, leaseSeconds, batchSize],
  );
}

/**
 * One conversation as it stands now: deleted messages are gone, and so is the whole
 * conversation once muted or left since the digest was decided.
 */
async function sectionOf(db: SqlExecutor, userId: string, cover: DigestCover): Promise<DigestSection | null> {
  const [conversation] = await db.query<{ kind: string; title: string | null; muted: boolean }>(
    `select c.kind, c.title,
            exists (select 1 from conversation_mutes mu where mu.user_id = $2 and mu.conversation_id = c.id) as muted
       from conversations c
       join conversation_members m on m.conversation_id = c.id and m.user_id = $2
      where c.id = $1`,
    [cover.conversationId, userId],
  );
  if (!conversation || conversation.muted) return null;
  const messages = await db.query<{ body: string; sender: string | null }>(
    `select msg.body, u.display_name as sender
       from messages msg left join users u on u.id = msg.sender_id
      where msg.conversation_id = $1 and msg.seq > $2 and msg.seq <= $3 and not msg.deleted and msg.body is not null
      order by msg.seq desc limit $4`,
    [cover.conversationId, cover.afterSeq, cover.toSeq, EXCERPTS_PER_CONVERSATION],
  );
  const newest = messages[0];
  if (!newest) return null;
  const direct = `Direct messages from ${newest.sender ?? 'someone'}`;
  return {
    title: conversation.title ?? (conversation.kind === 'direct' ? direct : 'A group conversation'),
    unreadCount: cover.unreadCount,
    excerpts: messages
      .map((message) => ({ sender: message.sender ?? 'someone', body: excerptOf(message.body) }))
      .reverse(),
  };
}

async function finish(sql: SqlClient, id: string, now: Date, outcome: string) {
  await sql.query(
    'update notification_outbox set sent_at = $2, outcome = $3, claimed_until = null where id = $1',
    [id, now, outcome],
  );
}

/**
 * Sends the outbox's due digests, at least once each: a row is marked sent only
 * after the mail server accepted it, and a sender that dies in between leaves a
 * lease that lapses, so the next sender mails it again, with the same Message-ID
 * (the row's id). Rows already marked are never mailed again. The text is read
 * now, not when the digest was decided, so messages deleted since never appear.
 * Resolves to the number of mails handed to the mailer.
 */
export async function sendDueDigests(deps: DigestSenderDeps, now: Date): Promise<number> {
  const leaseSeconds = deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const rows = await claim(deps.sql, now, leaseSeconds, deps.batchSize ?? 50);
  let sent = 0;
  for (const row of rows) {
    try {
      const covers = (typeof row.covers === 'string' ? JSON.parse(row.covers) : row.covers) as DigestCover[];
      const [account] = await deps.sql.query<{ email: string }>(
        'select email from accounts where user_id = $1',
        [row.user_id],
      );
      const sections: DigestSection[] = [];
      for (const cover of covers) {
        const section = await sectionOf(deps.sql, row.user_id, cover);
        if (section) sections.push(section);
      }
      if (!account || sections.length === 0) {
        await finish(deps.sql, row.id, now, 'nothing left');
        continue;
      }
      await deps.mailer.send({ to: account.email, ...renderDigest(sections), idempotencyKey: row.id });
      await finish(deps.sql, row.id, now, 'sent');
      sent += 1;
    } catch (error) {
      // The lease stays: the row is tried again once it lapses.
      deps.logger.warn({ err: error, digestId: row.id, attempts: row.attempts }, 'digest mail failed');
      await deps.sql
        .query('update notification_outbox set last_error = $2 where id = $1', [row.id, String(error)])
        .catch(() => undefined);
    }
  }
  return sent;
}
