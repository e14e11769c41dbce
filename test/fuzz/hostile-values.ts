/**
 * Arbitraries for input a hostile or broken client sends: the building blocks of
 * the HTTP and WebSocket fuzz suites. Each names what it is for, so a failing
 * counterexample reads as a story ("a uuid with a zero-width joiner").
 */
import fc from 'fast-check';

/** Strings that have broken text handling elsewhere: direction marks, joiners, surrogates, NUL. */
export const unicodeEdgeCases = [
  '\u202Eevil\u202C', // right-to-left override
  'שלום עולם', // RTL script
  'مرحبا\u200F', // Arabic with a right-to-left mark
  'a\u200Bb\u200Cc\u200Dd\uFEFF', // zero-width space, non-joiner, joiner, BOM
  '👩‍👩‍👧‍👦', // emoji ZWJ sequence
  '🏳️‍🌈', // flag with variation selector and ZWJ
  '👍🏽', // skin tone modifier
  'e\u0301\u0301\u0301\u0301', // stacked combining marks
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'ok\uDBFFend', // lone surrogate inside text
  '\u0000', // NUL: PostgreSQL text cannot hold it
  'a\u0000b',
  '\uFFFF\uFFFE', // non-characters
  '\u{10FFFF}',
  '\r\n\t\u000B\u000C',
  '   ',
  '',
  '%00%ff%',
  "'; drop table users; --",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
] as const;

export const unicodeEdgeCase = fc.constantFrom(...unicodeEdgeCases);

/** Any text a JSON string can carry, biased towards the edge cases above. */
export const hostileText = fc.oneof(
  { weight: 3, arbitrary: unicodeEdgeCase },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.array(unicodeEdgeCase, { minLength: 2, maxLength: 6 }).map((parts) => parts.join('')),
  },
);

/** Strings that look like a UUID and are not one (or are one only after trimming, case folding…). */
export const notAUuid = fc.oneof(
  fc.constantFrom(
    '',
    'null',
    'undefined',
    '0',
    '00000000-0000-0000-0000-00000000000', // one digit short
    '00000000-0000-4000-8000-0000000000000', // one digit long
    'g0000000-0000-4000-8000-000000000000',
    '{00000000-0000-4000-8000-000000000000}',
    ' 00000000-0000-4000-8000-000000000000',
    '00000000-0000-4000-8000-000000000000\n',
    '00000000000040008000000000000000',
    '00000000-0000-4000-8000-00000000000\u0661', // Arabic-Indic digit one
    '00000000-0000-4000-8000-00000000000\uD800',
    '00000000-0000-4000-8000-0000000000\u200B0',
    '../../etc/passwd',
    '%2e%2e%2f',
  ),
  hostileText.filter((text) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)),
);

/**
 * Numbers no seq may be, written as JSON text: JSON.stringify cannot write the
 * ones past 2^53 exactly (or at all, for 1e400), so they are spliced in as raw text.
 */
export const badSeqJson = fc.oneof(
  fc.constantFrom(
    '-1',
    '-9007199254740993',
    '0.5',
    '1e-7',
    '9007199254740992', // 2^53: the first unsafe integer
    '9007199254740993', // parses to 2^53
    '9223372036854775807', // int64 max
    '9223372036854775808', // int64 max + 1
    '18446744073709551616', // 2^64
    '1e308',
    '1e400', // Infinity once parsed
    '-1e400',
    '123456789012345678901234567890',
    '"1"',
    '"NaN"',
    'null',
    'true',
    '[1]',
    '{"$gt":0}',
  ),
  fc.integer({ max: -1 }).map(String),
  fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }).map(String),
);

/** The same values as query-string text, where everything arrives as a string. */
export const badNumberParam = fc.oneof(
  fc.constantFrom(
    '-1',
    '0.5',
    '1e400',
    'NaN',
    'Infinity',
    '9007199254740993',
    '9223372036854775808',
    '0x10',
    '1_000',
    '',
    ' ',
    '١٢',
    '%00',
  ),
  fc.integer({ max: -1 }).map(String),
  hostileText,
);

/** JSON values of a type no string, uuid or number field accepts. */
export const wrongTypeJson = fc.oneof(
  fc.boolean().map(String),
  fc.constant('[]'),
  fc.constant('{}'),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }).map((values) => JSON.stringify(values)),
  fc
    .dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 })
    .map((value) => JSON.stringify(value)),
);

/** Deep nesting that recursive parsers, validators or loggers overflow their stack on. */
export const deepNestingJson = fc.oneof(
  fc.integer({ min: 1_000, max: 120_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1_000, max: 40_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
);

/** Bodies that are not one JSON value at all. */
export const malformedJsonText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '{"a":1}{"b":2}',
    '[1,2',
    'undefined',
    'NaN',
    '\u0000',
    '{"a":"\\x41"}',
    '{"a":"\\u12"}',
    '{"a":"\\uD800\\u"}',
    '\uFEFF{}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

export const wrongContentType = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
  'image/png',
  '*/*',
  '',
);

/**
 * `encodeURIComponent`, except that a lone surrogate (which it refuses to encode)
 * goes out as its three generalized-UTF-8 bytes, as a careless client would send it.
 */
export function percentEncodeAnything(text: string): string {
  let encoded = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
      encoded += bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else encoded += encodeURIComponent(char);
  }
  return encoded;
}
