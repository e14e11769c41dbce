import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type {
  CreateAttachmentInput,
  CreatedAttachment,
} from '../../commands/attachments/create-attachment.handler.js';

export const createAttachmentBody = z.object({
  filename: z.string().min(1).max(255),
  contentType: z.string().min(3).max(200),
  // The upper bound is configuration (ATTACHMENT_MAX_BYTES), checked by the handler.
  size: z.number().int().min(1),
});

export const createdAttachmentSchema = z
  .object({
    key: z.string(),
    uploadUrl: z.string(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  })
  .meta({ id: 'AttachmentUpload' });

export interface AttachmentsRouteDeps {
  createAttachment(uploaderId: string, input: CreateAttachmentInput): Promise<CreatedAttachment>;
  authenticate: preHandlerAsyncHookHandler;
  callerId: (request: FastifyRequest) => string;
}

/** POST /v1/attachments: where to upload the bytes; the key then goes into a message. */
export const attachmentsRoute =
  (deps: AttachmentsRouteDeps): FastifyPluginAsync =>
  async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    app.addHook('preHandler', deps.authenticate);
    app.post(
      '/v1/attachments',
      {
        schema: {
          tags: ['attachments'],
          body: createAttachmentBody,
          response: { 201: createdAttachmentSchema },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await deps.createAttachment(deps.callerId(request), request.body)),
    );
  };
