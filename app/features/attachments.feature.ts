import { handleCreateAttachment } from '../../commands/attachments/create-attachment.handler.js';
import { attachmentsRoute } from '../../gateway/attachments/attachments.route.js';
import { blobRoutes } from '../../gateway/attachments/blob.routes.js';
import { requireUser } from '../../gateway/auth/authenticate.js';
import { LocalBlobStore } from '../../infra/blobs/local/local.blob-store.js';
import type { Feature, Infrastructure } from '../compose.js';
import { attachmentsOf } from './attachments.shared.js';

/**
 * Attachments: `POST /v1/attachments` grants an upload, and in embedded mode
 * (local disk) Parley serves the signed upload and download URLs itself. The
 * conversations feature checks the keys a message carries (`attachments.shared.ts`).
 */
export function attachmentsFeature() {
  return async (infra: Infrastructure): Promise<Feature> => {
    // REST only; the other features open the shared blob store themselves when they need it.
    if (!infra.roles.has('api')) return {};
    const { blobs, deps } = await attachmentsOf(infra);
    const createAttachment = handleCreateAttachment(deps);
    return {
      routes: async (app) => {
        await app.register(
          attachmentsRoute({
            createAttachment,
            authenticate: app.authenticate,
            callerId: (request) => requireUser(request).id,
          }),
        );
        if (blobs instanceof LocalBlobStore) await app.register(blobRoutes(blobs, deps.maxBytes));
      },
      // Without the store only uploads and downloads fail: messages go on.
      readiness:
        blobs.engine === 's3'
          ? [{ name: 'attachments (s3)', required: false, check: () => blobs.ping() }]
          : [],
      stop: () => blobs.close(),
    };
  };
}
