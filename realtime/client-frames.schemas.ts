import { z } from 'zod';
import { sendMessageBody } from '../gateway/conversations/conversation.schemas.js';

/**
 * PROTOCOL.md's client → server frames. Each is validated here before anything
 * acts on it; a frame that fails answers an `error` frame (bad_request) naming the field.
 */
const uuid = z.uuid({ error: 'must be a UUID' });
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** What every frame carries; `id` is echoed in the `ack` or `error` that answers it. */
export const envelopeSchema = z.object({
  type: z.string().min(1).max(64),
  id: z.union([z.string().min(1).max(128), z.number()]).optional(),
  data: z.unknown().optional(),
});

export const clientFrameData = {
  'message.send': sendMessageBody.extend({ conversationId: uuid }),
  'message.edit': z.object({ conversationId: uuid, messageId: uuid, body: z.string().max(40_000) }),
  'message.delete': z.object({ conversationId: uuid, messageId: uuid }),
  'message.read': z.object({ conversationId: uuid, seq }),
  'typing.start': z.object({ conversationId: uuid }),
  'typing.stop': z.object({ conversationId: uuid }),
  'presence.subscribe': z.object({ userIds: z.array(uuid).max(1000) }),
  sync: z.object({
    cursors: z
      .record(uuid, z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER))
      .refine((cursors) => Object.keys(cursors).length <= 10_000, 'at most 10,000 conversations'),
  }),
  ping: z.object({}).passthrough(),
} as const;

export type ClientFrameType = keyof typeof clientFrameData;
export type ClientFrameData<Type extends ClientFrameType> = z.infer<(typeof clientFrameData)[Type]>;

export function isClientFrameType(type: string): type is ClientFrameType {
  return Object.hasOwn(clientFrameData, type);
}

/** `data.clientMsgId: must be a UUID`: the first issue, with where it is. */
export function describeIssues(error: z.ZodError): string {
  const [issue] = error.issues;
  if (!issue) return 'invalid frame';
  const path = issue.path.map(String).join('.');
  return path ? `data.${path}: ${issue.message}` : `data: ${issue.message}`;
}
