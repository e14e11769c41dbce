import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { commandMetadata, type ConversationRouteDeps } from './conversation-route.deps.js';
import {
  addMembersBody,
  conversationDetailSchema,
  conversationParams,
  conversationSchema,
  createConversationBody,
  listConversationsQuery,
  memberParams,
  readAnswer,
  readBody,
  renameBody,
} from './conversation.schemas.js';
import { waitForReadModels } from './read-your-writes.js';

const tags = ['conversations'];

/** Conversations and their members: commands in, read-model views out. */
export const conversationRoutes =
  (deps: ConversationRouteDeps): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', deps.authenticate);

    const viewOf = async (userId: string, conversationId: string) => {
      const view = await deps.queries.getConversation(userId, conversationId);
      if (!view) throw new NotFoundError('conversation not found');
      return view;
    };

    app.post(
      '/v1/conversations',
      {
        schema: {
          tags,
          body: createConversationBody,
          response: { 200: conversationSchema, 201: conversationSchema },
        },
      },
      async (request, reply) => {
        const meta = commandMetadata(deps, request);
        const result = await deps.commands.createConversation(request.body, meta);
        await waitForReadModels(deps.waitForPosition, result.position);
        const view = await viewOf(meta.actorId, result.conversationId);
        return reply.code(result.created ? 201 : 200).send(view);
      },
    );

    app.get(
      '/v1/conversations',
      {
        schema: {
          tags,
          querystring: listConversationsQuery,
          response: {
            200: z.object({ items: z.array(conversationSchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      async (request) => deps.queries.listConversations(deps.callerId(request), request.query),
    );

    app.get(
      '/v1/conversations/:id',
      { schema: { tags, params: conversationParams, response: { 200: conversationDetailSchema } } },
      async (request) => viewOf(deps.callerId(request), request.params.id),
    );

    app.patch(
      '/v1/conversations/:id',
      {
        schema: { tags, params: conversationParams, body: renameBody, response: { 200: conversationSchema } },
      },
      async (request) => {
        const meta = commandMetadata(deps, request);
        const { position } = await deps.commands.rename(request.params.id, request.body.title, meta);
        await waitForReadModels(deps.waitForPosition, position);
        return viewOf(meta.actorId, request.params.id);
      },
    );

    app.post(
      '/v1/conversations/:id/members',
      {
        schema: {
          tags,
          params: conversationParams,
          body: addMembersBody,
          response: { 200: conversationSchema },
        },
      },
      async (request) => {
        const meta = commandMetadata(deps, request);
        const { position } = await deps.commands.addMembers(request.params.id, request.body.userIds, meta);
        await waitForReadModels(deps.waitForPosition, position);
        return viewOf(meta.actorId, request.params.id);
      },
    );

    app.delete(
      '/v1/conversations/:id/members/:userId',
      { schema: { tags, params: memberParams } },
      async (request, reply) => {
        const meta = commandMetadata(deps, request);
        const { position } = await deps.commands.removeMember(request.params.id, request.params.userId, meta);
        await waitForReadModels(deps.waitForPosition, position);
        return reply.code(204).send();
      },
    );

    app.post(
      '/v1/conversations/:id/read',
      { schema: { tags, params: conversationParams, body: readBody, response: { 200: readAnswer } } },
      async (request) => {
        const meta = commandMetadata(deps, request);
        const { position } = await deps.commands.markRead(request.params.id, request.body.seq, meta);
        await waitForReadModels(deps.waitForPosition, position);
        const view = await viewOf(meta.actorId, request.params.id);
        return { readSeq: view.readSeq, unreadCount: view.unreadCount };
      },
    );
  };
