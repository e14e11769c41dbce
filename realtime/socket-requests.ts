import type { ConversationCommands } from '../commands/conversations/conversation-commands.js';
import type { CommandMetadata } from '../commands/shared/event-codec.js';
import { NotFoundError } from '../domain/errors.js';
import { waitForReadModels } from '../gateway/conversations/read-your-writes.js';
import type { ClientFrameData, ClientFrameType } from './client-frames.schemas.js';
import type { Connection } from './connection.js';
import type { PresenceTracker } from './presence.js';
import type { RealtimeQueries } from './realtime-queries.js';
import { syncConnection, type SyncDeps } from './sync.js';
import type { TypingRelay } from './typing.js';

export interface SocketRequestDeps extends SyncDeps {
  commands: ConversationCommands;
  queries: RealtimeQueries;
  presence: PresenceTracker;
  typing: TypingRelay;
  /** As over REST: 403 for a key the sender was not granted, 400 for one not uploaded yet. */
  checkAttachments: (senderId: string, keys: readonly string[]) => Promise<void>;
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
      if (input.attachments?.length) await deps.checkAttachments(meta.actorId, input.attachments);
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
    'typing.start': async ({ conversationId }, { connection }) => {
      deps.typing.signal(connection.userId, conversationId, true);
      return { status: 'ok' };
    },
    'typing.stop': async ({ conversationId }, { connection }) => {
      deps.typing.signal(connection.userId, conversationId, false);
      return { status: 'ok' };
    },
    // Answers its own `ack`: the `presence.update` frames must follow it.
    'presence.subscribe': async ({ userIds }, { connection, id }) => {
      await deps.presence.watch(connection, userIds, id);
      return undefined;
    },
  };
}
