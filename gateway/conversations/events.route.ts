import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { conversationStream } from '../../commands/conversations/conversation-commands.js';
import { StreamNotFoundError } from '../../infra/eventstore/event-store.errors.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import { frameOf } from '../../realtime/frames.js';
import type { ConversationRouteDeps } from './conversation-route.deps.js';
import { conversationParams, eventsQuery } from './conversation.schemas.js';

const frameSchema = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) });

/** `GET …/events?afterRev=`: the conversation's stream as the same frames the WebSocket sends. */
export const eventsRoute =
  (deps: ConversationRouteDeps): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', deps.authenticate);

    app.get(
      '/v1/conversations/:id/events',
      {
        schema: {
          tags: ['conversations'],
          params: conversationParams,
          querystring: eventsQuery,
          response: { 200: z.object({ items: z.array(frameSchema), lastRev: z.number().int() }) },
        },
      },
      async (request) => {
        const userId = deps.callerId(request);
        const conversationId = request.params.id;
        if (!(await deps.queries.isMember(userId, conversationId))) {
          throw new NotFoundError('conversation not found');
        }
        const { afterRev, limit } = request.query;
        let events: RecordedEvent[] = [];
        try {
          events = await deps.eventStore.readStream(conversationStream(conversationId), {
            fromRevision: afterRev + 1,
            maxCount: limit,
          });
        } catch (error) {
          if (!(error instanceof StreamNotFoundError)) throw error;
        }
        const lookups = {
          message: (messageId: string) => deps.queries.getMessage(conversationId, messageId),
          conversation: () => deps.queries.getConversation(userId, conversationId),
        };
        const items = [];
        for (const event of events) items.push(await frameOf(conversationId, event, lookups));
        return { items, lastRev: events.at(-1)?.revision ?? afterRev };
      },
    );
  };
