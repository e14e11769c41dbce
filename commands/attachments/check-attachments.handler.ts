import { ForbiddenError, ValidationError } from '../../domain/errors.js';
import type { AttachmentDeps } from './attachment-ports.js';

/**
 * Before a message may carry attachment keys (PROTOCOL.md limits): each key must
 * have been granted to the sender (else 403 — an unknown key too, so keys of others
 * cannot be probed) and its bytes must be in the blob store (else 400). The first
 * confirmation is remembered, so a key is checked against the store once.
 */
export const handleCheckAttachments =
  (deps: Pick<AttachmentDeps, 'grants' | 'blobs' | 'clock'>) =>
  async (senderId: string, keys: readonly string[]): Promise<void> => {
    if (keys.length === 0) return;
    const grants = new Map((await deps.grants.getMany(keys)).map((grant) => [grant.key, grant]));
    for (const key of keys) {
      const grant = grants.get(key);
      if (!grant || grant.uploaderId !== senderId) {
        throw new ForbiddenError(`attachment ${key} was not created by you`);
      }
      if (grant.uploadedAt !== null) continue;
      const stored = await deps.blobs.stat(key);
      if (!stored || stored.size !== grant.size) {
        throw new ValidationError(`attachment ${key} has not been uploaded yet`, 'attachments');
      }
      await deps.grants.markUploaded(key, deps.clock().toISOString());
    }
  };
