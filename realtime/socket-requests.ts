import type { ConversationCommands } from '../commands/conversations/conversation-commands.js';
import type { CommandMetadata } from '../commands/shared/event-codec.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { waitForReadModels } from '../gateway/conversations/read-your-writes.js';
import type { ClientFrameData, ClientFrameType } from './client-frames.schemas.js';
import type { Connection } from './connection.js';
import type { RealtimeQueries } from './realtime-queries.js';
import { syncConnection, type SyncDeps } from './sync.js';

export interface SocketRequestDeps extends SyncDeps {
  commands: ConversationCommands;
  queries: RealtimeQueries;
}

/** What a request answers: the `ack` data, or nothing when its answer is other frames. */
type Answer = Record<string, unknown> | undefined;

/** Who sent the request, and its id (echoed in the answer). */
export interface RequestContext {
  connection: Connection;
  meta: CommandMetadata;
  id?: string | number;
}

export type SocketRequestHandlers = {
  [Type in ClientFrameType]: (data: ClientFrameData<Type>, context: RequestContext) => Promise<Answer>;
};

/**
 * The client requests, each calling what REST calls (the same `ConversationCommands`),
 * so both edges enforce the same rules. Thrown errors become `error` frames in one
 * place (see `ws.route.ts`), through the gateway's error mapping.
 */
export function socketRequests(deps: SocketRequestDeps): SocketRequestHandlers {
  return {
    'message.send': async ({ conversationId, ...input }, { meta }) => {
      if (input.attachments?.length) {
        // As over REST: uploads come with the attachments feature.
        throw new ValidationError('attachment uploads are not available yet', 'attachments');
      }
      const sent = await deps.commands.sendMessage(conversationId, input, meta);
      return { status: 'ok', messageId: sent.messageId, seq: sent.seq, duplicate: sent.duplicate };
    },
    'message.edit': async ({ conversationId, messageId, body }, { meta }) => {
      await deps.commands.editMessage(conversationId, messageId, body, meta);
      return { status: 'ok' };
    },
    'message.delete': async ({ conversationId, messageId }, { meta }) => {
      await deps.commands.deleteMessage(conversationId, messageId, meta);
      return { status: 'ok' };
    },
    'message.read': async ({ conversationId, seq }, { meta }) => {
      const { position } = await deps.commands.markRead(conversationId, seq, meta);
      // The answer's counters come from the read model: wait until it has the move.
      await waitForReadModels(deps.waitForPosition, position);
      const view = await deps.queries.getConversation(meta.actorId, conversationId);
      if (!view) throw new NotFoundError('conversation not found');
      return { status: 'ok', readSeq: view.readSeq, unreadCount: view.unreadCount };
    },
    sync: async ({ cursors }, { connection }) => {
      await syncConnection(deps, connection, cursors);
      return undefined;
    },
    ping: async (_data, { connection, id }) => {
      connection.sendFrame({ type: 'pong', ...(id === undefined ? {} : { id }), data: {} });
      return undefined;
    },
    // Presence and typing are not built yet: say so rather than stay silent.
    'typing.start': notYet,
    'typing.stop': notYet,
    'presence.subscribe': notYet,
  };
}

async function notYet(): Promise<Answer> {
  throw new ValidationError('not supported by this server yet');
}
