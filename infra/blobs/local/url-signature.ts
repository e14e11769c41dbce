import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a local blob URL grants: one method on one key, under these conditions, until `expires`. */
export interface BlobGrant {
  method: 'GET' | 'PUT';
  key: string;
  contentType: string;
  /** PUT: the exact byte count. */
  size?: number;
  /** GET: the name the download is offered under. */
  filename?: string;
  /** Unix seconds. */
  expires: number;
}

// One field per line: no field can contain a newline (keys and media types are
// validated, filenames refuse control characters), so no two grants share a payload.
function payloadOf(grant: BlobGrant): string {
  return [
    'parley-blob-v1',
    grant.method,
    grant.key,
    grant.contentType,
    grant.size ?? '',
    grant.filename ?? '',
    grant.expires,
  ].join('\n');
}

export function signGrant(secret: Buffer, grant: BlobGrant): string {
  return createHmac('sha256', secret).update(payloadOf(grant)).digest('base64url');
}

/** Constant-time comparison, so the signature cannot be guessed byte by byte from timings. */
export function isSignatureValid(secret: Buffer, grant: BlobGrant, signature: string): boolean {
  const expected = Buffer.from(signGrant(secret, grant));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The query string a grant travels in; `grantOf` reads it back. */
export function grantQuery(grant: BlobGrant, signature: string): string {
  const query = new URLSearchParams({ type: grant.contentType, exp: String(grant.expires) });
  if (grant.size !== undefined) query.set('size', String(grant.size));
  if (grant.filename !== undefined) query.set('name', grant.filename);
  query.set('sig', signature);
  return query.toString();
}

export interface GrantQuery {
  type?: string;
  exp?: string;
  size?: string;
  name?: string;
  sig?: string;
}

/** The grant a request claims (its method and key from the request itself), or null when malformed. */
export function grantOf(
  method: 'GET' | 'PUT',
  key: string,
  query: GrantQuery,
): { grant: BlobGrant; signature: string } | null {
  const { type, exp, size, name, sig } = query;
  if (!type || !exp || !sig || !/^\d{1,12}$/.test(exp)) return null;
  if (method === 'PUT' && (!size || !/^\d{1,15}$/.test(size))) return null;
  if (method === 'GET' && name === undefined) return null;
  return {
    grant: {
      method,
      key,
      contentType: type,
      expires: Number(exp),
      ...(method === 'PUT' ? { size: Number(size) } : { filename: name }),
    },
    signature: sig,
  };
}
