import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { checkLimit, checkSeq } from '../paging.js';
import { isUuid } from '../sql-values.js';
import { MESSAGE_COLUMNS, toMessageViews, type MessageRow } from './message-rows.js';
import type { MessagePage, MessageView } from './message.view.js';

export interface GetMessagesOptions {
  /** The page just before this seq (exclusive). */
  beforeSeq?: number;
  /** The page just after this seq (exclusive). With `beforeSeq` too: the first page of the window between them. */
  afterSeq?: number;
  /** 1 to 200. */
  limit: number;
}

/**
 * One page of a conversation's messages in ascending seq, deleted ones included as
 * tombstones. Without `beforeSeq`/`afterSeq`: the newest page. `hasMore` tells
 * whether more messages exist in the direction paged (older for the newest page
 * and for `beforeSeq`, newer for `afterSeq`). Membership is the caller's check.
 * Throws `ValidationError` for a bad limit or seq.
 */
export async function getMessages(
  db: SqlExecutor,
  conversationId: string,
  options: GetMessagesOptions,
): Promise<MessagePage> {
  const limit = checkLimit(options.limit);
  const beforeSeq = checkSeq(options.beforeSeq, 'beforeSeq');
  const afterSeq = checkSeq(options.afterSeq, 'afterSeq');
  if (!isUuid(conversationId)) return { items: [], hasMore: false };

  // One row more than asked tells whether there is more.
  const forwards = afterSeq !== undefined;
  const rows = await db.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from messages m
      where m.conversation_id = $1
        and ($2::int is null or m.seq > $2::int)
        and ($3::int is null or m.seq < $3::int)
      order by m.seq ${forwards ? 'asc' : 'desc'}
      limit $4`,
    [conversationId, afterSeq ?? null, beforeSeq ?? null, limit + 1],
  );
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  if (!forwards) page.reverse();
  return { items: await toMessageViews(db, page), hasMore };
}

/** One message of a conversation (a tombstone once deleted), or null when that conversation has no such message. */
export async function getMessage(
  db: SqlExecutor,
  conversationId: string,
  messageId: string,
): Promise<MessageView | null> {
  if (!isUuid(conversationId) || !isUuid(messageId)) return null;
  const rows = await db.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from messages m where m.id = $1 and m.conversation_id = $2`,
    [messageId, conversationId],
  );
  const [view] = await toMessageViews(db, rows);
  return view ?? null;
}
