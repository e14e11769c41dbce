import { ValidationError } from '../../domain/errors.js';
import { isMediaType } from '../../infra/blobs/content-disposition.js';
import type { AttachmentDeps } from './attachment-ports.js';

export interface CreateAttachmentInput {
  filename: string;
  contentType: string;
  size: number;
}

export interface CreatedAttachment {
  key: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

// A name, not a path: no separators, no `.`/`..`, no control characters (they would
// also break the Content-Disposition header the download is served with).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_FILENAME = /[/\\\u0000-\u001f\u007f]/;

function checkFilename(filename: string): void {
  if (
    filename.trim() === '' ||
    filename === '.' ||
    filename === '..' ||
    FORBIDDEN_IN_FILENAME.test(filename)
  ) {
    throw new ValidationError(
      'filename: must be a plain file name, without path or control characters',
      'filename',
    );
  }
}

/**
 * POST /v1/attachments: grants an upload of `size` bytes of `contentType` under a
 * fresh key scoped to the uploader (`<userId>/<uuid>`) and returns where to PUT it.
 */
export const handleCreateAttachment =
  (deps: AttachmentDeps) =>
  async (uploaderId: string, input: CreateAttachmentInput): Promise<CreatedAttachment> => {
    checkFilename(input.filename);
    if (!isMediaType(input.contentType))
      throw new ValidationError('contentType: must be a media type such as image/png', 'contentType');
    if (!Number.isSafeInteger(input.size) || input.size < 1 || input.size > deps.maxBytes)
      throw new ValidationError(`size: must be 1 to ${deps.maxBytes} bytes`, 'size');
    const key = `${uploaderId}/${deps.newId()}`;
    await deps.grants.add({
      key,
      uploaderId,
      filename: input.filename,
      contentType: input.contentType,
      size: input.size,
      createdAt: deps.clock().toISOString(),
    });
    const upload = await deps.blobs.createUpload({ key, contentType: input.contentType, size: input.size });
    return {
      key,
      uploadUrl: upload.url,
      method: upload.method,
      headers: upload.headers,
      expiresAt: upload.expiresAt.toISOString(),
    };
  };
