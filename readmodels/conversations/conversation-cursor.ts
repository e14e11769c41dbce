import { ValidationError } from '../../domain/errors.js';
import { isUuid } from '../sql-values.js';

/**
 * Where a page of the conversation list ended: the last item's activity time and
 * id. The id breaks ties between conversations active at the same instant, so a
 * page boundary never repeats or skips one. The time is kept in whole
 * microseconds since the epoch — PostgreSQL's own precision — so the next page
 * compares against exactly the stored value, not a millisecond rounding of it.
 */
export interface ConversationCursor {
  /** Microseconds since 1970-01-01T00:00:00Z, as a decimal string. */
  activityMicros: string;
  id: string;
}

/** Opaque to clients: base64url of a JSON pair. */
export function encodeConversationCursor(cursor: ConversationCursor): string {
  return Buffer.from(JSON.stringify([cursor.activityMicros, cursor.id])).toString('base64url');
}

/** Throws `ValidationError` (field `cursor`) for anything `encodeConversationCursor` did not make. */
export function decodeConversationCursor(text: string): ConversationCursor {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]+$/.test(text)
      ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
      : null;
  } catch {
    decoded = null;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    // Activity times are after 1970 and before year 33658 (10^18 µs): any other
    // value would put the comparison outside PostgreSQL's timestamp range.
    !/^\d{1,18}$/.test(decoded[0]) ||
    typeof decoded[1] !== 'string' ||
    !isUuid(decoded[1])
  )
    throw new ValidationError('cursor is not one this server returned', 'cursor');
  return { activityMicros: decoded[0], id: decoded[1] };
}
