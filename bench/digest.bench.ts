import { migrate } from '../infra/sql/migrate.js';
import type { SqlClient } from '../infra/sql/sql-client.js';
import { openTestSql } from '../infra/sql/testing/sql-engines.js';
import { planDigests } from '../projections/notifications/digest-planner.js';
import { notificationsMigrations } from '../projections/notifications/notifications.schema.js';
import { nobodyOnline } from '../projections/notifications/user-presence.js';
import { conversationsMigrations } from '../readmodels/conversations/conversations.schema.js';
import { messagesMigrations } from '../readmodels/messages/messages.schema.js';
import { report, round, summarize } from './stats.js';

const GROUP_SIZE = 10;
const ROUNDS = 5;
const SETTINGS = { delaySeconds: 600, intervalSeconds: 3600 };

/**
 * `digest [members=2000] [messages=100000]`: one offline-notification planner
 * round over the read models a chat load leaves behind: groups of 10, nobody has
 * read anything, messages spread evenly over the groups and sent over the last
 * `messages / 1000` seconds. First with the delay not yet passed for any of them
 * (what every round costs while a busy deployment chats), then with every one
 * due (the round that writes a digest per member).
 */
export async function benchDigest(args: string[]): Promise<void> {
  const members = Math.max(GROUP_SIZE, Math.floor(Number(args[0] ?? 2000) / GROUP_SIZE) * GROUP_SIZE);
  const messages = Number(args[1] ?? 100_000);
  const { sql, close } = await openTestSql('postgres', 'bench_digest');
  try {
    await migrate(sql, 'conversations', conversationsMigrations);
    await migrate(sql, 'messages', messagesMigrations);
    await migrate(sql, 'notifications', notificationsMigrations);
    const now = new Date();
    await fill(sql, members, messages, now);

    const timeRounds = async (at: Date) => {
      const latencies: number[] = [];
      let digests = 0;
      for (let index = 0; index < ROUNDS; index += 1) {
        const started = performance.now();
        digests += await planDigests({ sql, presence: nobodyOnline, settings: SETTINGS }, at);
        latencies.push(performance.now() - started);
      }
      return { digests, ...summarize(latencies) };
    };
    const shape = { workload: 'digest', members, messages, rounds: ROUNDS };
    report({ ...shape, case: 'none-due', ...(await timeRounds(now)) });
    // The first round writes every member's digest; the others find them mailed within the interval.
    const later = new Date(now.getTime() + (SETTINGS.delaySeconds + messages / 1000 + 1) * 1000);
    const first = performance.now();
    const digests = await planDigests({ sql, presence: nobodyOnline, settings: SETTINGS }, later);
    report({ ...shape, case: 'all-due', rounds: 1, digests, ms: round(performance.now() - first) });
  } finally {
    await close();
  }
}

/** Read-model rows as the projections write them, generated in the database. */
async function fill(sql: SqlClient, members: number, messages: number, now: Date) {
  const groups = members / GROUP_SIZE;
  const perGroup = Math.max(1, Math.floor(messages / groups));
  await sql.query(
    `insert into conversations (id, kind, title, created_at, last_seq, last_rev, last_activity_at)
     select gen_random_uuid(), 'group', 'bench', $1::timestamptz - interval '1 day', $2, $2, $1
       from generate_series(1, $3)`,
    [now, perGroup, groups],
  );
  await sql.query(
    `insert into conversation_members (conversation_id, user_id, role, joined_at, joined_rev, joined_index)
     select c.id, gen_random_uuid(), 'member', c.created_at, 0, g
       from conversations c, generate_series(0, $1 - 1) g`,
    [GROUP_SIZE],
  );
  // Each group's messages come from its members in turn, one every millisecond overall.
  await sql.query(
    `insert into messages (id, conversation_id, seq, sender_id, client_msg_id, body, created_at, rev)
     select gen_random_uuid(), c.id, s, m.user_id, gen_random_uuid(), 'a message of some length',
            $1::timestamptz - make_interval(secs => ($2 - s) * $3 / 1000.0), s
       from conversations c
       cross join generate_series(1, $2) s
       join conversation_members m on m.conversation_id = c.id and m.joined_index = s % $4`,
    [now, perGroup, groups, GROUP_SIZE],
  );
  await sql.query('analyze');
}
