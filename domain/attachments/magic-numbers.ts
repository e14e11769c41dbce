/**
 * The first bytes each inline type must start with. Only the types a browser
 * renders in place (`infra/blobs/content-disposition.ts`) are checked: those are
 * where a declared type the bytes contradict would make the browser show something
 * else than what was declared. Other types download as attachments and are not sniffed.
 *
 * Plain `Uint8Array`, not `Buffer`, so the domain stays free of Node; a `Buffer` is one.
 */

/** True when `head` holds `expected` from `offset` on; a head too short to hold it does not. */
function hasBytesAt(head: Uint8Array, offset: number, expected: readonly number[]): boolean {
  return expected.every((byte, index) => head[offset + index] === byte);
}

/** `text` is ASCII, so each character is one byte. */
const ascii = (text: string): number[] => [...text].map((character) => character.charCodeAt(0));

const SIGNATURES: Readonly<Record<string, (head: Uint8Array) => boolean>> = {
  'image/png': (head) => hasBytesAt(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': (head) => hasBytesAt(head, 0, [0xff, 0xd8, 0xff]),
  'image/gif': (head) => hasBytesAt(head, 0, ascii('GIF87a')) || hasBytesAt(head, 0, ascii('GIF89a')),
  'image/webp': (head) => hasBytesAt(head, 0, ascii('RIFF')) && hasBytesAt(head, 8, ascii('WEBP')),
};

/** Bytes to read before `bytesMatchType` can decide. */
export const SNIFF_BYTES = 12;

/** False when `contentType` has a known signature and `head` (the first bytes) does not start with it. */
export function bytesMatchType(contentType: string, head: Uint8Array): boolean {
  const signature = SIGNATURES[contentType.split(';')[0]!.trim().toLowerCase()];
  return signature ? signature(head) : true;
}

/** The rule as the blob stores take it (the composition root hands it to them). */
export const attachmentSniffer = { headBytes: SNIFF_BYTES, matches: bytesMatchType } as const;
