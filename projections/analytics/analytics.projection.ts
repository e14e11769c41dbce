import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { analyticsMigrations, analyticsTables } from '../../readmodels/analytics/analytics.schema.js';
import { toIso } from '../../readmodels/sql-values.js';
import type { Projection } from '../projection.js';
import { conversationIdOf, decodeRecorded } from '../recorded-events.js';
import { tallyMessages, type AnalyticsTally, type ReplyWait, type SentMessage } from './analytics-tally.js';

/**
 * Daily figures for operators (`readmodels/analytics`): messages per conversation
 * per day, active senders per day, and the waits behind the median time to first
 * reply (defined in `analytics-tally.ts`).
 *
 * Added after the fact: like any new projection its checkpoint starts at 0, so the
 * runner replays the whole log into it at the first start; no backfill script. Its
 * counters are increments, exact because the runner commits each batch's rows and
 * checkpoint in one transaction (each event is applied exactly once).
 */
export const analyticsProjection: Projection = {
  name: 'analytics',
  version: 1,
  eventTypes: ['MessageSent'],
  migrations: analyticsMigrations,
  tables: analyticsTables,

  apply(tx, event) {
    return applyMessages(tx, [event]);
  },

  // The same code path as `apply`: a batch is folded in memory and written in five statements.
  applyBatch(tx, events) {
    return applyMessages(tx, events);
  },
};

function toSentMessage(recorded: RecordedEvent): SentMessage | undefined {
  const event = decodeRecorded(recorded);
  if (event.type !== 'MessageSent') return undefined;
  return {
    conversationId: conversationIdOf(recorded),
    seq: event.data.seq,
    senderId: event.data.senderId,
    sentAt: new Date(event.data.sentAt),
  };
}

async function applyMessages(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void> {
  const messages = events.flatMap((event) => toSentMessage(event) ?? []);
  if (messages.length === 0) return;
  const waits = await readWaits(tx, [...new Set(messages.map((message) => message.conversationId))]);
  await writeTally(tx, tallyMessages(messages, waits));
}

async function readWaits(tx: SqlExecutor, conversationIds: string[]): Promise<Map<string, ReplyWait>> {
  const rows = await tx.query<{ conversation_id: string; last_seq: number; sender_id: string; since: Date }>(
    `select conversation_id, last_seq, sender_id, since
       from analytics_reply_waits where conversation_id = any($1::uuid[])`,
    [conversationIds],
  );
  return new Map(
    rows.map((row) => [
      row.conversation_id,
      { lastSeq: row.last_seq, senderId: row.sender_id, since: new Date(toIso(row.since)) },
    ]),
  );
}

/**
 * The whole tally in one statement (four inserts as data-modifying CTEs on
 * four different tables): a batch costs one round trip here, not four.
 */
async function writeTally(tx: SqlExecutor, tally: AnalyticsTally): Promise<void> {
  const waits = [...tally.waits];
  await tx.query(
    `with conversation_days as (
       insert into analytics_conversation_days (day, conversation_id, messages)
       select * from unnest($1::date[], $2::uuid[], $3::int[])
       on conflict (day, conversation_id)
         do update set messages = analytics_conversation_days.messages + excluded.messages
     ), active_senders as (
       insert into analytics_active_senders (day, sender_id)
       select * from unnest($4::date[], $5::uuid[])
       on conflict do nothing
     ), first_replies as (
       insert into analytics_first_replies (day, conversation_id, seconds)
       select * from unnest($6::date[], $7::uuid[], $8::float8[])
     )
     insert into analytics_reply_waits (conversation_id, last_seq, sender_id, since)
     select * from unnest($9::uuid[], $10::int[], $11::uuid[], $12::timestamptz[])
     on conflict (conversation_id) do update
       set last_seq = excluded.last_seq, sender_id = excluded.sender_id, since = excluded.since`,
    [
      tally.messages.map((row) => row.day),
      tally.messages.map((row) => row.conversationId),
      tally.messages.map((row) => row.count),
      tally.senders.map((row) => row.day),
      tally.senders.map((row) => row.senderId),
      tally.firstReplies.map((row) => row.day),
      tally.firstReplies.map((row) => row.conversationId),
      tally.firstReplies.map((row) => row.seconds),
      waits.map(([conversationId]) => conversationId),
      waits.map(([, wait]) => wait.lastSeq),
      waits.map(([, wait]) => wait.senderId),
      waits.map(([, wait]) => wait.since.toISOString()),
    ],
  );
}
