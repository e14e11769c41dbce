import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { commandMetadata, type ConversationRouteDeps } from './conversation-route.deps.js';
import {
  conversationParams,
  editMessageBody,
  listMessagesQuery,
  messageParams,
  messageSchema,
  reactionParams,
  sendMessageBody,
} from './conversation.schemas.js';
import { waitForReadModels } from './read-your-writes.js';

const tags = ['messages'];

export interface MessageRouteOptions {
  /**
   * Throws `ForbiddenError` for a key the sender was not granted and `ValidationError`
   * for one not uploaded yet. Absent (no attachments feature): no key is accepted.
   */
  checkAttachments?: (senderId: string, keys: readonly string[]) => Promise<void>;
}

/** Messages of a conversation: send, page through, edit, delete, react. */
export const messageRoutes =
  (deps: ConversationRouteDeps, options: MessageRouteOptions = {}): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', deps.authenticate);

    const requireMember = async (userId: string, conversationId: string) => {
      if (!(await deps.queries.isMember(userId, conversationId))) {
        throw new NotFoundError('conversation not found');
      }
    };
    const messageView = async (conversationId: string, messageId: string) => {
      const message = await deps.queries.getMessage(conversationId, messageId);
      if (!message) throw new NotFoundError('message not found');
      return message;
    };

    app.post(
      '/v1/conversations/:id/messages',
      {
        schema: {
          tags,
          params: conversationParams,
          body: sendMessageBody,
          response: { 200: messageSchema, 201: messageSchema },
        },
      },
      async (request, reply) => {
        const meta = commandMetadata(deps, request);
        const keys = request.body.attachments ?? [];
        if (keys.length > 0) {
          if (!options.checkAttachments) {
            throw new ValidationError('attachment uploads are not available', 'attachments');
          }
          await options.checkAttachments(meta.actorId, keys);
        }
        const sent = await deps.commands.sendMessage(request.params.id, request.body, meta);
        await waitForReadModels(deps.waitForPosition, sent.position);
        const message = await messageView(request.params.id, sent.messageId);
        return reply.code(sent.duplicate ? 200 : 201).send(message);
      },
    );

    app.get(
      '/v1/conversations/:id/messages',
      {
        schema: {
          tags,
          params: conversationParams,
          querystring: listMessagesQuery,
          response: { 200: z.object({ items: z.array(messageSchema), hasMore: z.boolean() }) },
        },
      },
      async (request) => {
        await requireMember(deps.callerId(request), request.params.id);
        return deps.queries.getMessages(request.params.id, request.query);
      },
    );

    app.patch(
      '/v1/conversations/:id/messages/:messageId',
      { schema: { tags, params: messageParams, body: editMessageBody, response: { 200: messageSchema } } },
      async (request) => {
        const meta = commandMetadata(deps, request);
        const { id, messageId } = request.params;
        const { position } = await deps.commands.editMessage(id, messageId, request.body.body, meta);
        await waitForReadModels(deps.waitForPosition, position);
        return messageView(id, messageId);
      },
    );

    app.delete(
      '/v1/conversations/:id/messages/:messageId',
      { schema: { tags, params: messageParams } },
      async (request, reply) => {
        const meta = commandMetadata(deps, request);
        const { position } = await deps.commands.deleteMessage(
          request.params.id,
          request.params.messageId,
          meta,
        );
        await waitForReadModels(deps.waitForPosition, position);
        return reply.code(204).send();
      },
    );

    for (const [method, add] of [
      ['PUT', true],
      ['DELETE', false],
    ] as const) {
      app.route({
        method,
        url: '/v1/conversations/:id/messages/:messageId/reactions/:emoji',
        schema: { tags, params: reactionParams },
        handler: async (request, reply) => {
          const meta = commandMetadata(deps, request);
          const { id, messageId, emoji } = request.params;
          const { position } = await deps.commands.react(id, messageId, emoji, add, meta);
          await waitForReadModels(deps.waitForPosition, position);
          return reply.code(204).send();
        },
      });
    }
  };
