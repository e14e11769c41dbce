import { ValidationError } from '../../domain/errors.js';
import { analyticsProjection } from '../../projections/analytics/analytics.projection.js';
import { readProjectionStatus } from '../../projections/runner/projection-status.js';
import { resolveDayRange } from '../../readmodels/analytics/analytics-range.js';
import { getConversationDays, getDailyAnalytics } from '../../readmodels/analytics/analytics.query.js';
import { type CliCommand, EXIT_FAILURE, EXIT_OK, json, parseCommandArgs, UsageError } from './cli-command.js';
import { withCliSession } from './cli-session.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  '))
    .join('\n');
}

/** The days asked for on the command line; a bad date or range is a usage error. */
function dayRangeOf(options: { from?: string; to?: string }) {
  try {
    return resolveDayRange(options, new Date());
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message);
    throw error;
  }
}

export const analyticsCommand: CliCommand = {
  name: 'analytics',
  summary: 'messages, active senders and median time to first reply, per day',
  usage: `parley analytics [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by-conversation] [--json]

  One line per UTC day from --from to --to (inclusive; default the last 30 days,
  at most 366): messages sent, distinct senders, and the median wait for a first
  reply by someone else (over the runs of messages that started that day and
  were answered; "-" when none). --by-conversation lists messages per
  conversation and day instead. The figures come from the analytics projection,
  which the server fills from the log: a note on stderr says when it lags.`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, {
      from: { type: 'string' },
      to: { type: 'string' },
      'by-conversation': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    const [extra] = parsed.positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    const range = dayRangeOf(parsed.values);
    const byConversation = parsed.values['by-conversation'] === true;

    const found = await withCliSession(async ({ sql, eventStore }) => {
      const [tables] = await sql.query<{ ready: boolean }>(
        `select to_regclass('analytics_conversation_days') is not null as ready`,
      );
      if (!tables?.ready) return undefined;
      const [status] = await readProjectionStatus(sql, eventStore, [analyticsProjection], false);
      return {
        lagEvents: status?.lagEvents ?? 0,
        days: byConversation ? [] : await getDailyAnalytics(sql, range),
        conversationDays: byConversation ? await getConversationDays(sql, range) : [],
      };
    });
    if (!found) {
      io.err(
        'parley analytics: the analytics projection has not run yet; start the server (parley serve) ' +
          'and it fills itself from the log\n',
      );
      return EXIT_FAILURE;
    }
    if (found.lagEvents > 0)
      io.err(`note: the analytics projection is ${found.lagEvents} events behind the log\n`);

    if (byConversation) {
      if (parsed.values.json) io.out(`${json({ conversationDays: found.conversationDays })}\n`);
      else
        io.out(
          `${table([
            ['DATE', 'CONVERSATION', 'MESSAGES'],
            ...found.conversationDays.map((row) => [row.date, row.conversationId, String(row.messages)]),
          ])}\n`,
        );
      return EXIT_OK;
    }
    if (parsed.values.json) {
      io.out(`${json({ days: found.days })}\n`);
      return EXIT_OK;
    }
    const rows = found.days.map((day) => [
      day.date,
      String(day.messages),
      String(day.activeSenders),
      day.medianFirstReplySeconds === null ? '-' : day.medianFirstReplySeconds.toFixed(1),
    ]);
    io.out(`${table([['DATE', 'MESSAGES', 'ACTIVE SENDERS', 'MEDIAN FIRST REPLY (S)'], ...rows])}\n`);
    return EXIT_OK;
  },
};
