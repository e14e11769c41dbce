import type { Migration } from '../sql/migrate.js';
import type { SqlExecutor } from '../sql/sql-client.js';

/** A message as it is first indexed (from `MessageSent`). */
export interface IndexedMessage {
  messageId: string;
  conversationId: string;
  /** Revision of the conversation stream's event that carries this text. */
  revision: number;
  body: string;
  /** ISO-8601; the recency that breaks ties between equally relevant hits. */
  sentAt: string;
}

/** A new text for an indexed message (from `MessageEdited`). */
export interface ReindexedBody {
  messageId: string;
  conversationId: string;
  revision: number;
  body: string;
}

/** A message whose text must disappear from the index (from `MessageDeleted`). */
export interface RemovedMessage {
  messageId: string;
  conversationId: string;
  revision: number;
}

export interface SearchRequest {
  /** Only conversations this user is a member of right now are searched. */
  userId: string;
  /** The user's words, as typed: never spliced into SQL or a query DSL. Non-empty. */
  text: string;
  /** Narrows the search to one conversation (the caller checks membership first). */
  conversationId?: string;
  /** 1 to 100. */
  limit: number;
}

export interface SearchHit {
  messageId: string;
  conversationId: string;
  /**
   * An excerpt of the body around the matches (the whole body when it is short),
   * HTML-escaped, with each matched term wrapped in `<mark>` and `</mark>`.
   */
  highlight: string;
}

/** The `<mark>` element that wraps each matched term of a `SearchHit.highlight`. */
export const HIGHLIGHT_MARKUP = { start: '<mark>', stop: '</mark>' } as const;

/**
 * Full-text search over message bodies, written by the search projection and read
 * by the search query. Engines: PostgreSQL full text (default, also on PGlite) and
 * Elasticsearch.
 *
 * Write guarantees, for every engine:
 * - **Idempotent and ordered by (stream, revision)**: a write whose revision is not
 *   newer than what the index holds for that message is a no-op, so replays and
 *   redeliveries (at-least-once) never duplicate a message or bring an old text back.
 * - **Deletes are final**: after `removeMessage` the message's text is gone from the
 *   index, and no later write for that message (a replayed send or edit) restores it.
 * - The PostgreSQL engine writes with `tx`, so its rows commit with the projection's
 *   checkpoint. Engines that cannot share the transaction ignore `tx` and rely on
 *   the idempotency above.
 *
 * Read guarantees:
 * - `search` returns only messages of conversations `userId` is a member of at the
 *   time of the query, never a removed one, ranked by relevance then recency
 *   (newest first), at most `limit` hits.
 * - Query syntax cannot fail: the text is read as a web-search query (words, "quoted
 *   phrases", `or`, `-word`) and anything else in it counts as plain text.
 * - What was written is searchable once `settle()` resolves (the PostgreSQL engine:
 *   as soon as the transaction commits; Elasticsearch: after a refresh, about 1 s).
 */
export interface MessageSearchIndex {
  readonly engine: 'postgres' | 'elasticsearch';
  /** Tables the engine keeps in the read-model database (created by the projection runner). */
  readonly migrations: readonly Migration[];
  /** Several sends in one write (a replay indexes thousands per second this way). */
  indexMessages(tx: SqlExecutor, messages: readonly IndexedMessage[]): Promise<void>;
  reindexBody(tx: SqlExecutor, change: ReindexedBody): Promise<void>;
  removeMessage(tx: SqlExecutor, removal: RemovedMessage): Promise<void>;
  search(request: SearchRequest): Promise<SearchHit[]>;
  /** Resolves once every write that has resolved so far is visible to `search`. */
  settle(): Promise<void>;
  /** Resolves when the engine answers (readiness). */
  ping(): Promise<void>;
  /**
   * Engines whose index lives outside the read-model database (Elasticsearch):
   * creates an empty next version of the index beside the live one, for a rebuild.
   * Searches keep using the live version until `promote`. Not safe to call twice at
   * once: the rebuild's lease makes sure no other rebuild of the index runs.
   */
  createNextVersion?(): Promise<NextIndexVersion>;
  close(): Promise<void>;
}

/** An index version a rebuild fills while the live one serves (see `createNextVersion`). */
export interface NextIndexVersion {
  /** Writes go to the next version only; its `search` reads that version too. Its `close` leaves the live index's client open. */
  readonly index: MessageSearchIndex;
  /** Makes every written document searchable, then moves searches and writes to this version in one atomic step, then deletes the old version. */
  promote(): Promise<void>;
  /** Deletes this version; the live one is untouched. */
  discard(): Promise<void>;
}
