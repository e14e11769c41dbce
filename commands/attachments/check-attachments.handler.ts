import { ConflictError, ForbiddenError, ValidationError } from '../../domain/errors.js';
import { bytesMatchType } from '../../domain/attachments/magic-numbers.js';
import type { AttachmentDeps, AttachmentGrant } from './attachment-ports.js';

/**
 * Before a message may carry attachment keys (PROTOCOL.md limits): each key must
 * have been granted to the sender (else 403 — an unknown key too, so keys of others
 * cannot be probed) and its bytes must be in the blob store (else 400). Bytes whose
 * first bytes contradict the declared type are refused here too (400): with S3 they
 * never pass through Parley, so this is the first place that can see them. The bytes
 * checked are then published, which fixes them: a re-upload with the still valid URL
 * cannot swap what recipients download. The first confirmation is remembered, so a
 * key is checked against the store once.
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
      await publishChecked(deps.blobs, grant);
      await deps.grants.markUploaded(key, deps.clock().toISOString());
    }
  };

/** Publishing loses to an upload that lands between check and publish; the newer bytes get checked instead. */
const PUBLISH_ATTEMPTS = 3;

async function publishChecked(blobs: AttachmentDeps['blobs'], grant: AttachmentGrant): Promise<void> {
  const { key } = grant;
  for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt += 1) {
    const stored = await blobs.stat(key);
    if (!stored || stored.size !== grant.size) {
      throw new ValidationError(`attachment ${key} has not been uploaded yet`, 'attachments');
    }
    if (!bytesMatchType(grant.contentType, stored.firstBytes)) {
      throw new ValidationError(`attachment ${key}: the bytes are not ${grant.contentType}`, 'attachments');
    }
    if (await blobs.publish(key, stored.version)) return;
  }
  throw new ConflictError(
    `attachment ${key} is being uploaded again; send the message once the upload is done`,
  );
}
