import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MuteConversation } from '../../commands/notifications/mute-conversation.handler.js';
import { conversationParams } from './conversation.schemas.js';

export interface MuteRouteDeps {
  muteConversation(command: MuteConversation): Promise<void>;
  authenticate: preHandlerAsyncHookHandler;
  callerId: (request: FastifyRequest) => string;
}

/** `PUT · DELETE /v1/conversations/:id/mute`: the caller's offline mail for one conversation, off or on. */
export const muteRoute =
  (deps: MuteRouteDeps): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', deps.authenticate);
    const schema = {
      tags: ['conversations'],
      params: conversationParams,
      response: { 204: z.null().describe('Done (also when it already was)') },
    };

    app.put(
      '/v1/conversations/:id/mute',
      { schema: { ...schema, summary: 'Mute: this conversation sends the caller no offline mail' } },
      async (request, reply) => {
        await deps.muteConversation({
          userId: deps.callerId(request),
          conversationId: request.params.id,
          muted: true,
        });
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/v1/conversations/:id/mute',
      { schema: { ...schema, summary: 'Unmute: offline mail for this conversation again' } },
      async (request, reply) => {
        await deps.muteConversation({
          userId: deps.callerId(request),
          conversationId: request.params.id,
          muted: false,
        });
        return reply.code(204).send(null);
      },
    );
  };
