import type { MessageSent } from '../../domain/conversation/conversation.events.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import type {
  IndexedMessage,
  MessageSearchIndex,
  NextIndexVersion,
} from '../../infra/search/message-search-index.js';
import { applyInRuns } from '../event-runs.js';
import type { Projection, RebuildTarget } from '../projection.js';
import { conversationIdOf, decodeRecorded } from '../recorded-events.js';

/**
 * Message search: sends index a message's text, edits replace it, deletes remove
 * it for good. Each write carries the event's stream revision, which the index
 * uses to ignore anything older than what it holds (see `MessageSearchIndex`).
 *
 * Named after its engine: each engine's index is filled from its own checkpoint,
 * so switching engines fills the new one from the start of the log.
 *
 * Rebuilds: the PostgreSQL engine's table is rebuilt like any projection's; an
 * engine that keeps its index elsewhere and can build a next version of it
 * (Elasticsearch) is rebuilt into that version, which then replaces the live one.
 */
export function searchProjection(index: MessageSearchIndex): Projection {
  const projection: Projection = {
    name: `search-${index.engine}`,
    version: 1,
    eventTypes: ['MessageSent', 'MessageEdited', 'MessageDeleted'],
    migrations: index.migrations,
    // Elasticsearch keeps its documents in its own index, out of reach of a SQL rebuild.
    tables: index.engine === 'postgres' ? ['message_search'] : [],
    rebuildTarget: index.createNextVersion && rebuildTargetFrom(index.createNextVersion.bind(index)),

    async apply(tx, recorded) {
      const event = decodeRecorded(recorded);
      const conversationId = conversationIdOf(recorded);
      const revision = recorded.revision;
      switch (event.type) {
        case 'MessageSent':
          await index.indexMessages(tx, [toIndexedMessage(recorded)]);
          return;
        case 'MessageEdited': {
          const { messageId, body } = event.data;
          await index.reindexBody(tx, { messageId, conversationId, revision, body });
          return;
        }
        case 'MessageDeleted':
          await index.removeMessage(tx, { messageId: event.data.messageId, conversationId, revision });
          return;
        default:
          // Not among `eventTypes`: never delivered here.
          return;
      }
    },

    // A replay is mostly sends: each run of them is one write.
    applyBatch(tx, events) {
      return applyInRuns(
        events,
        'MessageSent',
        (run) => index.indexMessages(tx, run.map(toIndexedMessage)),
        (event) => projection.apply(tx, event),
      );
    },
  };
  return projection;
}

/** A rebuild fills a new index version through a search projection of its own, then promotes it. */
function rebuildTargetFrom(createNextVersion: () => Promise<NextIndexVersion>): () => Promise<RebuildTarget> {
  return async () => {
    const next = await createNextVersion();
    return {
      projection: searchProjection(next.index),
      promote: () => next.promote(),
      discard: () => next.discard(),
    };
  };
}

function toIndexedMessage(recorded: RecordedEvent): IndexedMessage {
  const { messageId, body, sentAt } = decodeRecorded<MessageSent>(recorded).data;
  return { messageId, conversationId: conversationIdOf(recorded), revision: recorded.revision, body, sentAt };
}
