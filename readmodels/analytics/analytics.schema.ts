import type { Migration } from '../../infra/sql/migrate.js';

/**
 * The analytics read model, written by the `analytics` projection. Days are UTC
 * calendar days of the messages' `sentAt`. Every table name is unqualified, so a
 * rebuild can build the next version in a schema of its own.
 */
export const analyticsMigrations: Migration[] = [
  {
    id: '001-analytics',
    sql: `
      -- Messages sent, per conversation and day (deleted ones included: they were sent).
      create table analytics_conversation_days (
        day date not null,
        conversation_id uuid not null,
        messages integer not null,
        primary key (day, conversation_id)
      );

      -- Who sent at least one message that day.
      create table analytics_active_senders (
        day date not null,
        sender_id uuid not null,
        primary key (day, sender_id)
      );

      -- One row per answered run of messages (see projections/analytics/analytics-tally.ts),
      -- on the day the run started. Kept whole so the median is exact.
      create table analytics_first_replies (
        day date not null,
        conversation_id uuid not null,
        seconds double precision not null
      );
      create index analytics_first_replies_day on analytics_first_replies (day);

      -- Per conversation: the run of messages still waiting for an answer, and the
      -- last seq folded in (an older event replayed from the parked table is counted
      -- but cannot rewind the run).
      create table analytics_reply_waits (
        conversation_id uuid primary key,
        last_seq integer not null,
        sender_id uuid not null,
        since timestamptz not null
      );
    `,
  },
];

/** The tables above, for rebuilds. */
export const analyticsTables = [
  'analytics_conversation_days',
  'analytics_active_senders',
  'analytics_first_replies',
  'analytics_reply_waits',
] as const;
