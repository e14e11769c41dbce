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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * False for text that cannot be stored as given: NUL, which PostgreSQL text and
 * jsonb refuse (a stored event that no projection can write stalls the read
 * models), and lone surrogates, which are not Unicode and which UTF-8 encoding
 * silently turns into U+FFFD, so the text read back would differ from the text accepted.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}
