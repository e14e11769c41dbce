/**
 * The first bytes each inline type must start with. Only the types a browser
 * renders in place (`content-disposition.ts`) are checked: those are where a
 * declared type the bytes contradict would make the browser show something else
 * than what was declared. Other types download as attachments and are not sniffed.
 */
const SIGNATURES: Readonly<Record<string, (head: Buffer) => boolean>> = {
  'image/png': (head) =>
    head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
  'image/gif': (head) => ['GIF87a', 'GIF89a'].includes(head.subarray(0, 6).toString('latin1')),
  'image/webp': (head) =>
    head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP',
};

/** Bytes to read before `bytesMatchType` can decide. */
export const SNIFF_BYTES = 12;

/** False when `contentType` has a known signature and `head` (the first bytes) does not start with it. */
export function bytesMatchType(contentType: string, head: Buffer): boolean {
  const signature = SIGNATURES[contentType.split(';')[0]!.trim().toLowerCase()];
  return signature ? signature(head) : true;
}
