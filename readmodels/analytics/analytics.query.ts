import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import type { DayRange } from './analytics-range.js';

/** One day of `GET /v1/admin/analytics`. */
export interface AnalyticsDay {
  /** `YYYY-MM-DD`, a UTC day. */
  date: string;
  /** Messages sent that day, over every conversation. */
  messages: number;
  /** Distinct users who sent at least one message that day. */
  activeSenders: number;
  /**
   * Median wait for a first reply among the runs of messages that started that day
   * and were answered (see projections/analytics/analytics-tally.ts); with an even
   * number of waits, the mean of the two middle ones. `null` when there were none.
   */
  medianFirstReplySeconds: number | null;
}

interface DayRow {
  date: string;
  messages: number;
  active_senders: number;
  median: number | null;
}

/**
 * Every day of `range`, oldest first, days without any message included (as
 * zeros and a `null` median), so a chart needs no gap filling.
 */
export async function getDailyAnalytics(db: SqlExecutor, range: DayRange): Promise<AnalyticsDay[]> {
  const rows = await db.query<DayRow>(
    // generate_series yields timestamps: back to dates before comparing, whatever the session's time zone.
    `with days as (
       select step::date as day from generate_series($1::date, $2::date, interval '1 day') as step
     )
     select to_char(days.day, 'YYYY-MM-DD') as date,
            coalesce((select sum(c.messages) from analytics_conversation_days c where c.day = days.day), 0)::int
              as messages,
            (select count(*) from analytics_active_senders s where s.day = days.day)::int as active_senders,
            (select percentile_cont(0.5) within group (order by r.seconds)
               from analytics_first_replies r where r.day = days.day) as median
       from days
      order by days.day`,
    [range.from, range.to],
  );
  return rows.map((row) => ({
    date: row.date,
    messages: row.messages,
    activeSenders: row.active_senders,
    medianFirstReplySeconds: row.median === null ? null : Number(row.median),
  }));
}

/** Messages per conversation on each day of `range` that had any, busiest first within a day. */
export async function getConversationDays(
  db: SqlExecutor,
  range: DayRange,
): Promise<{ date: string; conversationId: string; messages: number }[]> {
  const rows = await db.query<{ date: string; conversation_id: string; messages: number }>(
    `select to_char(day, 'YYYY-MM-DD') as date, conversation_id, messages
       from analytics_conversation_days
      where day between $1::date and $2::date
      order by day, messages desc, conversation_id`,
    [range.from, range.to],
  );
  return rows.map((row) => ({ date: row.date, conversationId: row.conversation_id, messages: row.messages }));
}
