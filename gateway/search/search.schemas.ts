import { z } from 'zod';
import { messageSchema } from '../conversations/conversation.schemas.js';

export const searchMessagesQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(500, 'must be at most 500 characters')
    .describe(
      'Words to find, read as a web search: "quoted phrase", `or` between alternatives, `-word` to exclude. ' +
        'Any other character is plain text, never a syntax error.',
    ),
  conversationId: z.uuid({ error: 'must be a UUID' }).optional().describe('Only this conversation'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

// No component id: the gateway's OpenAPI output has no components section, so an id would be a dangling $ref.
export const searchHitSchema = messageSchema.extend({
  highlight: z
    .string()
    .describe(
      'An excerpt of the body around the matches (the whole body when short), HTML-escaped, ' +
        'with each matched term wrapped in `<mark>` and `</mark>`: safe to insert as HTML. ' +
        'PostgreSQL full text leaves HTML-like tags of the body out of the excerpt.',
    ),
});

export const searchMessagesAnswer = z.object({
  items: z
    .array(searchHitSchema)
    .describe('Most relevant first, then newest; only conversations the caller is a member of now'),
});
