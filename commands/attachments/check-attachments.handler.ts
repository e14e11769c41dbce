import { ForbiddenError, ValidationError } from '../../domain/errors.js';
import { bytesMatchType } from '../../domain/attachments/magic-numbers.js';
import type { AttachmentDeps } from './attachment-ports.js';

/**
 * Before a message may carry attachment keys (PROTOCOL.md limits): each key must
 * have been granted to the sender (else 403 — an unknown key too, so keys of others
 * cannot be probed) and its bytes must be in the blob store (else 400). Bytes whose
 * first bytes contradict the declared type are refused here too (400): with S3 they
 * never pass through Parley, so this is the first place that can see them. The first
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
      if (!bytesMatchType(grant.contentType, stored.firstBytes)) {
        throw new ValidationError(`attachment ${key}: the bytes are not ${grant.contentType}`, 'attachments');
      }
      await deps.grants.markUploaded(key, deps.clock().toISOString());
    }
  };
