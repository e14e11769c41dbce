/**
 * Types a browser may render in place. Everything else downloads: SVG and HTML can
 * run script in the origin that serves them, so they are never inline.
 */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function isInlineType(contentType: string): boolean {
  return INLINE_TYPES.has(contentType.split(';')[0]!.trim().toLowerCase());
}

/**
 * The `Content-Disposition` a download is served with: `inline` only for the
 * allow-list, else `attachment`; the filename as an ASCII fallback plus RFC 5987 UTF-8.
 */
export function contentDispositionOf(contentType: string, filename: string): string {
  const kind = isInlineType(contentType) ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** `type/subtype` with optional parameters, as RFC 9110 spells a media type. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\]*"))*$`);

export function isMediaType(value: string): boolean {
  return value.length <= 200 && MEDIA_TYPE.test(value);
}
