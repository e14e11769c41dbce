import { z } from 'zod';

/** PROTOCOL.md's objects as zod schemas: they validate and serialize answers and document them in OpenAPI. */
export const attachmentSchema = z
  .object({
    key: z.string(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    /** A time-limited download URL, issued when the message is read; may be relative to the API's base URL. */
    url: z.string(),
  })
  .meta({ id: 'Attachment' });

export const messageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    clientMsgId: z.string(),
    body: z.string().nullable(),
    attachments: z.array(attachmentSchema),
    replyTo: z.string().nullable(),
    reactions: z.record(z.string(), z.array(z.string())),
    createdAt: z.string(),
    editedAt: z.string().nullable(),
    deleted: z.boolean(),
  })
  .meta({ id: 'Message' });

export const memberSchema = z
  .object({ userId: z.string(), role: z.enum(['owner', 'admin', 'member']), joinedAt: z.string() })
  .meta({ id: 'Member' });

export const conversationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['direct', 'group']),
    title: z.string().nullable(),
    members: z.array(memberSchema),
    createdAt: z.string(),
    lastSeq: z.number().int(),
    lastRev: z.number().int(),
    lastMessage: messageSchema.nullable(),
    readSeq: z.number().int(),
    unreadCount: z.number().int(),
  })
  .meta({ id: 'Conversation' });

export const conversationDetailSchema = conversationSchema.extend({
  readMarkers: z.array(z.object({ userId: z.string(), seq: z.number().int() })),
});

const uuid = z.uuid({ error: 'must be a UUID' });

export const conversationParams = z.object({ id: uuid });
export const memberParams = z.object({ id: uuid, userId: uuid });
export const messageParams = z.object({ id: uuid, messageId: uuid });
export const reactionParams = z.object({
  id: uuid,
  messageId: uuid,
  emoji: z.string().min(1).max(64),
});

export const createConversationBody = z.object({
  kind: z.enum(['direct', 'group']),
  memberIds: z.array(uuid).max(10_000),
  title: z.string().max(1000).nullable().optional(),
});

export const renameBody = z.object({ title: z.string().max(1000).nullable() });
export const addMembersBody = z.object({ userIds: z.array(uuid).min(1).max(10_000) });
export const readBody = z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
export const readAnswer = z.object({ readSeq: z.number().int(), unreadCount: z.number().int() });

const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const listConversationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export const listMessagesQuery = z
  .object({
    beforeSeq: seqParam.optional(),
    afterSeq: seqParam.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((query) => query.beforeSeq === undefined || query.afterSeq === undefined, {
    message: 'give beforeSeq or afterSeq, not both',
    path: ['afterSeq'],
  });

export const sendMessageBody = z.object({
  clientMsgId: uuid,
  body: z.string().max(40_000),
  attachments: z.array(z.string().min(1).max(500)).max(100).optional(),
  replyTo: uuid.nullable().optional(),
});

export const editMessageBody = z.object({ body: z.string().max(40_000) });

export const eventsQuery = z.object({
  afterRev: z.coerce.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
