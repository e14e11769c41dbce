import { randomUUID } from 'node:crypto';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { UserPresence } from './user-presence.js';

/** One conversation in a digest: the messages after `afterSeq`, up to `toSeq`. */
export interface DigestCover {
  conversationId: string;
  afterSeq: number;
  toSeq: number;
  /** Unread messages up to `toSeq` when decided (from the member's read marker). */
  unreadCount: number;
}

export interface DigestPlannerSettings {
  /** A message is mailed once it is this old, and only to a reader offline at least as long. */
  delaySeconds: number;
  /** At most one digest per user per this many seconds. */
  intervalSeconds: number;
}

interface CandidateRow {
  user_id: string;
  conversation_id: string;
  after_seq: number;
  read_seq: number;
  to_seq: number;
}

/**
 * Per member and conversation that is not muted: the newest message from someone
 * else that is older than the delay, unread, not deleted and in no digest yet.
 * Users who had a digest inside the interval wait for the next one.
 *
 * `due` finds, once per conversation, the newest message old enough (an index on
 * creation time); `ready` then walks back from it and stops at the first message
 * that counts. So a round costs a few probes per member however many unread
 * messages are younger than the delay. Seqs follow creation times; where two
 * nodes' clocks disagree, a message past `due`'s seq waits for a later round.
 */
const CANDIDATES = `
  select m.user_id, m.conversation_id, m.read_seq,
         greatest(m.read_seq, coalesce(nc.notified_seq, 0)) as after_seq,
         ready.to_seq
    from conversation_members m
    join conversations c on c.id = m.conversation_id
    left join notification_cursors nc
      on nc.user_id = m.user_id and nc.conversation_id = m.conversation_id
    cross join lateral (
      select old.seq
        from messages old
       where old.conversation_id = m.conversation_id
         and old.created_at <= $1::timestamptz - make_interval(secs => $2)
       order by old.created_at desc, old.seq desc
       limit 1
    ) due
    cross join lateral (
      select msg.seq as to_seq
        from messages msg
       where msg.conversation_id = m.conversation_id
         and msg.seq > greatest(m.read_seq, coalesce(nc.notified_seq, 0))
         and msg.seq <= due.seq
         and msg.sender_id <> m.user_id
         and not msg.deleted
         and msg.created_at <= $1::timestamptz - make_interval(secs => $2)
       order by msg.seq desc
       limit 1
    ) ready
   where c.last_seq > greatest(m.read_seq, coalesce(nc.notified_seq, 0))
     and not exists (select 1 from conversation_mutes mu
                      where mu.user_id = m.user_id and mu.conversation_id = m.conversation_id)
     and not exists (select 1 from notification_outbox o
                      where o.user_id = m.user_id and o.created_at > $1::timestamptz - make_interval(secs => $3))
   order by m.user_id, m.conversation_id`;

/** The same user and the same covered seqs give the same key: the outbox refuses the second. */
function idempotencyKeyOf(userId: string, covers: readonly DigestCover[]): string {
  return `${userId}:${covers.map((cover) => `${cover.conversationId}@${cover.toSeq}`).join(',')}`;
}

function groupByUser(rows: readonly CandidateRow[]): Map<string, DigestCover[]> {
  const byUser = new Map<string, DigestCover[]>();
  for (const row of rows) {
    const covers = byUser.get(row.user_id) ?? [];
    const toSeq = Number(row.to_seq);
    covers.push({
      conversationId: row.conversation_id,
      afterSeq: Number(row.after_seq),
      toSeq,
      unreadCount: toSeq - Number(row.read_seq),
    });
    byUser.set(row.user_id, covers);
  }
  return byUser;
}

async function recordDigest(tx: SqlExecutor, userId: string, covers: DigestCover[], now: Date) {
  const inserted = await tx.query(
    `insert into notification_outbox (id, user_id, idempotency_key, covers, created_at)
     values ($1, $2, $3, $4::jsonb, $5) on conflict (idempotency_key) do nothing returning id`,
    [randomUUID(), userId, idempotencyKeyOf(userId, covers), JSON.stringify(covers), now],
  );
  for (const cover of covers) {
    await tx.query(
      `insert into notification_cursors (user_id, conversation_id, notified_seq) values ($1, $2, $3)
       on conflict (user_id, conversation_id)
       do update set notified_seq = greatest(notification_cursors.notified_seq, excluded.notified_seq)`,
      [userId, cover.conversationId, cover.toSeq],
    );
  }
  return inserted.length;
}

/**
 * Decides the digests due at `now` and writes them to the outbox, in one
 * transaction with the cursors that mark their messages as covered: a crash
 * decides nothing or everything, and a second run (or a second instance: the
 * planners take turns on an advisory lock) finds nothing left to decide.
 * Resolves to the number of digests written.
 */
export async function planDigests(
  deps: { sql: SqlClient; presence: UserPresence; settings: DigestPlannerSettings },
  now: Date,
): Promise<number> {
  const { delaySeconds, intervalSeconds } = deps.settings;
  return deps.sql.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('parley_notification_planner'))`);
    const rows = await tx.query<CandidateRow>(CANDIDATES, [now, delaySeconds, intervalSeconds]);
    const byUser = groupByUser(rows);
    if (byUser.size === 0) return 0;
    const presence = await deps.presence.read([...byUser.keys()], now);
    const offlineSince = now.getTime() - delaySeconds * 1000;
    let written = 0;
    for (const [userId, covers] of byUser) {
      const state = presence.get(userId);
      // Online, or back online inside the delay: they may read it themselves.
      if (state?.online) continue;
      if (state?.lastSeenAt && state.lastSeenAt.getTime() > offlineSince) continue;
      written += await recordDigest(tx, userId, covers, now);
    }
    return written;
  });
}
