/**
 * Text limits in PROTOCOL.md count characters as Unicode code points, not UTF-16
 * units, so an emoji counts once whatever its encoding.
 */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    const isHighSurrogate = unit >= 0xd800 && unit <= 0xdbff;
    const next = text.charCodeAt(i + 1);
    if (isHighSurrogate && next >= 0xdc00 && next <= 0xdfff) i += 1;
    count += 1;
  }
  return count;
}
