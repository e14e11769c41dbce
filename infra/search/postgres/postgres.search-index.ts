import type { SqlClient } from '../../sql/sql-client.js';
import { MATCH_START, MATCH_STOP, toHighlightMarkup } from '../highlight-markup.js';
import type { IndexedMessage, MessageSearchIndex, SearchHit } from '../message-search-index.js';
import { postgresSearchMigrations } from './postgres-search.schema.js';

/** Preferred first; `simple` (no stemming, no stop words) exists in every PostgreSQL. */
const TEXT_SEARCH_CONFIGS = ['english', 'simple'] as const;
export type TextSearchConfig = (typeof TEXT_SEARCH_CONFIGS)[number];

/** ts_headline's options: an excerpt of 15 to 35 words around the best match, sentinels around matches. */
const HEADLINE_OPTIONS = `StartSel=${MATCH_START}, StopSel=${MATCH_STOP}, MinWords=15, MaxWords=35, ShortWord=2`;

/** The stemming config when this database has it (PGlite has `english` too), else `simple`. */
export async function pickTextSearchConfig(sql: SqlClient): Promise<TextSearchConfig> {
  const rows = await sql.query<{ cfgname: string }>(
    'select cfgname from pg_ts_config where cfgname = any($1::text[])',
    [TEXT_SEARCH_CONFIGS],
  );
  const present = new Set(rows.map((row) => row.cfgname));
  return TEXT_SEARCH_CONFIGS.find((config) => present.has(config)) ?? 'simple';
}

/** One entry per message, its newest revision: one statement may not upsert a row twice. */
function newestPerMessage(messages: readonly IndexedMessage[]): IndexedMessage[] {
  const newest = new Map<string, IndexedMessage>();
  for (const message of messages) {
    const held = newest.get(message.messageId);
    if (!held || held.revision < message.revision) newest.set(message.messageId, message);
  }
  return [...newest.values()];
}

/**
 * PostgreSQL full-text search (also on PGlite), in the read-model database: writes
 * share the projection's transaction, and membership is a join with
 * `conversation_members` at query time. The user's text goes through
 * `websearch_to_tsquery`, which accepts any input without a syntax error.
 */
export async function openPostgresSearchIndex(
  sql: SqlClient,
  options: { config?: TextSearchConfig } = {},
): Promise<MessageSearchIndex> {
  const config = options.config ?? (await pickTextSearchConfig(sql));
  return {
    engine: 'postgres',
    migrations: postgresSearchMigrations,

    async indexMessages(tx, messages) {
      const latest = newestPerMessage(messages);
      if (latest.length === 0) return;
      await tx.query(
        `insert into message_search as s (message_id, conversation_id, sent_at, rev, body, document)
         select m.message_id, m.conversation_id, m.sent_at, m.rev, m.body, to_tsvector($6::regconfig, m.body)
           from unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[], $5::text[])
                as m(message_id, conversation_id, sent_at, rev, body)
         on conflict (message_id) do update
           set body = excluded.body, document = excluded.document, rev = excluded.rev,
               sent_at = excluded.sent_at
           where not s.deleted and s.rev < excluded.rev`,
        [
          latest.map((message) => message.messageId),
          latest.map((message) => message.conversationId),
          latest.map((message) => message.sentAt),
          latest.map((message) => message.revision),
          latest.map((message) => message.body),
          config,
        ],
      );
    },

    async reindexBody(tx, change) {
      await tx.query(
        `update message_search
            set body = $3::text, document = to_tsvector($5::regconfig, $3::text), rev = $4::int
          where message_id = $1 and conversation_id = $2 and not deleted and rev < $4::int`,
        [change.messageId, change.conversationId, change.body, change.revision, config],
      );
    },

    async removeMessage(tx, removal) {
      // Whatever the revisions: a delete always wins, and its tombstone stays.
      await tx.query(
        `insert into message_search as s (message_id, conversation_id, rev, deleted)
         values ($1, $2, $3::int, true)
         on conflict (message_id) do update
           set body = null, document = null, deleted = true, rev = greatest(s.rev, excluded.rev)`,
        [removal.messageId, removal.conversationId, removal.revision],
      );
    },

    async search(request) {
      // Rank and cut first, then build headlines for the page only (ts_headline is the costly part).
      const rows = await sql.query<{ message_id: string; conversation_id: string; marked: string }>(
        `with q as (select websearch_to_tsquery($1::regconfig, $2::text) as query)
         select hit.message_id, hit.conversation_id,
                ts_headline($1::regconfig, translate(hit.body, $6::text, ''), q.query, $7::text) as marked
           from (
             select s.message_id, s.conversation_id, s.body, s.sent_at,
                    ts_rank_cd(s.document, q.query) as rank
               from q, message_search s
               join conversation_members m
                 on m.conversation_id = s.conversation_id and m.user_id = $3::uuid
              where s.document @@ q.query
                and ($4::uuid is null or s.conversation_id = $4::uuid)
              order by rank desc, s.sent_at desc nulls last, s.message_id
              limit $5::int
           ) hit, q
          order by hit.rank desc, hit.sent_at desc nulls last, hit.message_id`,
        [
          config,
          // PostgreSQL text cannot hold NUL; no word contains one anyway.
          request.text.replaceAll('\u0000', ' '),
          request.userId,
          request.conversationId ?? null,
          request.limit,
          MATCH_START + MATCH_STOP,
          HEADLINE_OPTIONS,
        ],
      );
      return rows.map((row): SearchHit => ({
        messageId: row.message_id,
        conversationId: row.conversation_id,
        highlight: toHighlightMarkup(row.marked),
      }));
    },

    settle: () => Promise.resolve(),
    ping: () => sql.query('select 1').then(() => undefined),
    // The SQL client belongs to the composition root, which closes it.
    close: () => Promise.resolve(),
  };
}
