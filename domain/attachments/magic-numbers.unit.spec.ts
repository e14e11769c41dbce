import { describe, expect, it } from 'vitest';
import { bytesMatchType, SNIFF_BYTES } from './magic-numbers.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from([...text].map((character) => character.charCodeAt(0)));
const PNG = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
const HTML = ascii('<html><body>');

describe('whether the first bytes match the declared type', () => {
  it.each([
    ['image/png', PNG],
    ['image/jpeg', bytes(0xff, 0xd8, 0xff, 0xe0)],
    ['image/gif', ascii('GIF87a')],
    ['image/gif', ascii('GIF89a')],
    ['image/webp', ascii('RIFF\u0000\u0001\u0002\u0003WEBP')],
  ])('accepts the signature of %s', (contentType, head) => {
    expect(bytesMatchType(contentType, head)).toBe(true);
  });

  it.each(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])(
    'refuses other bytes declared as %s',
    (contentType) => {
      expect(bytesMatchType(contentType, HTML)).toBe(false);
    },
  );

  it('refuses a head too short to hold the signature', () => {
    expect(bytesMatchType('image/png', PNG.subarray(0, 7))).toBe(false);
    expect(bytesMatchType('image/webp', ascii('RIFF\u0000\u0001\u0002\u0003WEB'))).toBe(false);
    expect(bytesMatchType('image/jpeg', bytes())).toBe(false);
  });

  it('reads the type without its parameters and in any case', () => {
    expect(bytesMatchType('IMAGE/PNG; charset=binary', PNG)).toBe(true);
    expect(bytesMatchType(' Image/Png ', HTML)).toBe(false);
  });

  it('accepts anything declared as a type it does not sniff', () => {
    expect(bytesMatchType('text/html', PNG)).toBe(true);
    expect(bytesMatchType('application/pdf', bytes())).toBe(true);
    expect(bytesMatchType('', HTML)).toBe(true);
  });

  it('takes a Buffer as it comes from the blob stores', () => {
    expect(bytesMatchType('image/png', Buffer.from(PNG))).toBe(true);
  });

  it('needs no more bytes than SNIFF_BYTES to decide', () => {
    expect(SNIFF_BYTES).toBe(12);
    expect(bytesMatchType('image/webp', ascii('RIFF\u0000\u0001\u0002\u0003WEBP'))).toBe(true);
  });
});
