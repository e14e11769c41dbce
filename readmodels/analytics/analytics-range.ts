import { ValidationError } from '../../domain/errors.js';

/** Days shown when no range is given: the last 30, today included. */
export const DEFAULT_ANALYTICS_DAYS = 30;
/** The longest range one request may ask for, ends included: a leap year. */
export const MAX_ANALYTICS_DAYS = 366;

const DAY_MS = 24 * 60 * 60 * 1000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** An inclusive range of UTC days, each `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

/** `YYYY-MM-DD` as the UTC midnight it names; a malformed or impossible date (02-30) is a ValidationError. */
export function parseDay(value: string, field: string): Date {
  const match = DATE.exec(value);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  // Date.UTC rolls 2025-02-30 over into March: a round trip tells a real date from that.
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value)
    throw new ValidationError(`${field} must be a date, YYYY-MM-DD (got "${value}")`, field);
  return new Date(time);
}

const formatDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * The days an analytics request covers. Without `to`, it ends today (UTC); without
 * `from`, it starts 29 days before `to`. A range that ends before it starts, or
 * longer than `MAX_ANALYTICS_DAYS`, is a ValidationError.
 */
export function resolveDayRange(asked: { from?: string; to?: string }, now: Date): DayRange {
  const to =
    asked.to === undefined ? Date.parse(formatDay(now.getTime())) : parseDay(asked.to, 'to').getTime();
  const from =
    asked.from === undefined
      ? to - (DEFAULT_ANALYTICS_DAYS - 1) * DAY_MS
      : parseDay(asked.from, 'from').getTime();
  if (from > to) throw new ValidationError('from must not be after to', 'from');
  const days = (to - from) / DAY_MS + 1;
  if (days > MAX_ANALYTICS_DAYS)
    throw new ValidationError(
      `from … to covers at most ${MAX_ANALYTICS_DAYS} days, both ends included (asked for ${days})`,
      'from',
    );
  return { from: formatDay(from), to: formatDay(to) };
}
