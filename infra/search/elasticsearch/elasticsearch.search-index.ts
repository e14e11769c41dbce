import { Client } from '@elastic/elasticsearch';
import { MATCH_START, MATCH_STOP, toHighlightMarkup } from '../highlight-markup.js';
import type { MessageSearchIndex, SearchHit } from '../message-search-index.js';
import { ensureIndex, statusOf, type MessageDocument } from './elasticsearch-index.js';
import { createNextIndexVersion } from './elasticsearch-next-version.js';
import { toSimpleQueryString } from './web-search-syntax.js';

const CONFLICT = 409;
const NOT_FOUND = 404;
// eslint-disable-next-line no-control-regex -- the highlight sentinels are control characters on purpose
const SENTINELS = /[\u0001\u0002]/g;

export interface ElasticsearchSearchIndexOptions {
  url: string;
  /** The alias searches and writes go through; defaults to `parley-messages`. */
  alias?: string;
  /** The conversations `userId` is a member of now (from the read models): the membership filter. */
  memberConversations(userId: string): Promise<string[]>;
}

/**
 * Elasticsearch engine. It cannot share the projection's transaction, so every
 * write is an index operation with external versioning: the document's version is
 * the revision of the event behind it, and Elasticsearch refuses (409) any write
 * whose version is not newer, which makes redeliveries and replays no-ops.
 * A delete writes a versioned tombstone instead of removing the document, so a
 * replayed older send cannot recreate it.
 *
 * Searches and writes go through an alias over `<alias>-v<n>`: a rebuild fills
 * the next version beside it and then moves the alias (`createNextVersion`).
 */
export async function openElasticsearchSearchIndex(
  options: ElasticsearchSearchIndexOptions,
): Promise<MessageSearchIndex> {
  const client = new Client({ node: options.url });
  const alias = options.alias ?? 'parley-messages';
  await ensureIndex(client, alias);
  const indexOn = (target: string) => messageIndexOn(client, target, options);
  return {
    ...indexOn(alias),
    createNextVersion: () => createNextIndexVersion(client, alias, indexOn),
    // The client belongs to whoever opened the index.
    close: async () => undefined,
  };
}

/**
 * The index operations on `target`: the alias for the live index, a concrete
 * `<alias>-v<n>` for a version a rebuild fills. Closing it leaves `client` open.
 */
function messageIndexOn(
  client: Client,
  target: string,
  options: Pick<ElasticsearchSearchIndexOptions, 'memberConversations'>,
): MessageSearchIndex {
  /** Writes `document` at `version`; false when the index already holds that version or a newer one. */
  const write = async (id: string, version: number, document: MessageDocument): Promise<boolean> => {
    try {
      await client.index({ index: target, id, version, version_type: 'external', document });
      return true;
    } catch (error) {
      if (statusOf(error) === CONFLICT) return false;
      throw error;
    }
  };
  const read = async (id: string) => {
    try {
      const found = await client.get<MessageDocument>({ index: target, id });
      return { document: found._source, version: found._version ?? 0 };
    } catch (error) {
      if (statusOf(error) === NOT_FOUND) return undefined;
      throw error;
    }
  };

  return {
    engine: 'elasticsearch',
    migrations: [],

    async indexMessages(_tx, messages) {
      if (messages.length === 0) return;
      const answer = await client.bulk({
        operations: messages.flatMap((message) => [
          {
            index: {
              _index: target,
              _id: message.messageId,
              version: message.revision,
              version_type: 'external' as const,
            },
          },
          {
            messageId: message.messageId,
            conversationId: message.conversationId,
            sentAt: message.sentAt,
            body: message.body.replace(SENTINELS, ''),
            deleted: false,
          } satisfies MessageDocument,
        ]),
      });
      // A 409 is a version the index already holds or has passed: the write was a replay.
      const failed = answer.items.find((item) => item.index?.error && item.index.status !== CONFLICT);
      if (failed) throw new Error(`Elasticsearch refused a message: ${JSON.stringify(failed.index?.error)}`);
    },

    async reindexBody(_tx, change) {
      // Versioned writes replace whole documents, so the rest is read first.
      const current = await read(change.messageId);
      if (!current?.document || current.document.deleted) return;
      await write(change.messageId, change.revision, {
        ...current.document,
        body: change.body.replace(SENTINELS, ''),
      });
    },

    async removeMessage(_tx, removal) {
      const tombstone: MessageDocument = {
        messageId: removal.messageId,
        conversationId: removal.conversationId,
        deleted: true,
      };
      if (await write(removal.messageId, removal.revision, tombstone)) return;
      // A delete always wins: over a newer document, the tombstone takes the next version.
      const current = await read(removal.messageId);
      if (current && !current.document?.deleted)
        await write(removal.messageId, current.version + 1, tombstone);
    },

    async search(request) {
      const query = toSimpleQueryString(request.text);
      const allowed = await options.memberConversations(request.userId);
      const conversations = request.conversationId
        ? allowed.filter((id) => id === request.conversationId)
        : allowed;
      if (query === '' || conversations.length === 0) return [];
      const answer = await client.search<MessageDocument>({
        index: target,
        size: request.limit,
        _source: ['messageId', 'conversationId'],
        query: {
          bool: {
            must: {
              simple_query_string: {
                query,
                fields: ['body'],
                default_operator: 'and',
                flags: 'OR|NOT|PHRASE|WHITESPACE',
              },
            },
            filter: [{ terms: { conversationId: conversations } }, { term: { deleted: false } }],
          },
        },
        sort: [
          { _score: { order: 'desc' } },
          { sentAt: { order: 'desc', missing: '_last' } },
          { messageId: { order: 'asc' } },
        ],
        highlight: {
          pre_tags: [MATCH_START],
          post_tags: [MATCH_STOP],
          fields: { body: { number_of_fragments: 1, fragment_size: 200, no_match_size: 200 } },
        },
      });
      return answer.hits.hits.flatMap((hit): SearchHit[] => {
        const source = hit._source;
        if (!source) return [];
        return [
          {
            messageId: source.messageId,
            conversationId: source.conversationId,
            highlight: toHighlightMarkup(hit.highlight?.body?.[0] ?? ''),
          },
        ];
      });
    },

    async settle() {
      await client.indices.refresh({ index: target });
    },

    async ping() {
      await client.ping();
    },

    // The client belongs to whoever opened the index.
    close: async () => undefined,
  };
}
