import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { MessageSearchIndex } from '../../infra/search/message-search-index.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { loadMessagesByIds } from '../messages/message-rows.js';
import type { MessageView } from '../messages/message.view.js';
import { isUuid } from '../sql-values.js';

export const MAX_QUERY_LENGTH = 500;
export const MAX_SEARCH_LIMIT = 100;
export const DEFAULT_SEARCH_LIMIT = 20;

export interface SearchMessagesOptions {
  userId: string;
  /** The user's words; 1 to 500 characters once trimmed. */
  q: string;
  conversationId?: string;
  /** 1 to 100; defaults to 20. */
  limit?: number;
}

export type MessageSearchResult = MessageView & { highlight: string };

/**
 * Messages of the caller's conversations that match `q`, most relevant first,
 * then newest, each with a highlight (see `SearchHit.highlight`).
 *
 * Throws `ValidationError` naming the field for an empty or too long `q`, a bad
 * `limit` or a `conversationId` that is no UUID; `NotFoundError` for a
 * conversation the caller is not a member of (whether or not it exists).
 */
export async function searchMessages(
  deps: { db: SqlExecutor; index: MessageSearchIndex },
  options: SearchMessagesOptions,
): Promise<MessageSearchResult[]> {
  const text = checkQuery(options.q);
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`, 'limit');
  const { conversationId } = options;
  if (conversationId !== undefined) {
    if (!isUuid(conversationId)) throw new ValidationError('conversationId must be a UUID', 'conversationId');
    const member = await deps.db.query(
      'select 1 from conversation_members where conversation_id = $1 and user_id = $2',
      [conversationId, options.userId],
    );
    if (member.length === 0) throw new NotFoundError('conversation not found');
  }

  const hits = await deps.index.search({ userId: options.userId, text, conversationId, limit });
  // The messages read model is the authority on what a message looks like now: a
  // hit it shows as deleted (or does not know yet) is dropped, whatever the index says.
  const views = await loadMessagesByIds(
    deps.db,
    hits.map((hit) => hit.messageId),
  );
  return hits.flatMap((hit) => {
    const view = views.get(hit.messageId);
    if (!view || view.deleted || view.conversationId !== hit.conversationId) return [];
    return [{ ...view, highlight: hit.highlight }];
  });
}

function checkQuery(q: string): string {
  const text = q.trim();
  if (text.length === 0) throw new ValidationError('q must not be empty', 'q');
  if (text.length > MAX_QUERY_LENGTH)
    throw new ValidationError(`q must be at most ${MAX_QUERY_LENGTH} characters`, 'q');
  return text;
}
