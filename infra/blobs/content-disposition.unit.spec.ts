import { describe, expect, it } from 'vitest';
import { contentDispositionOf, isMediaType } from './content-disposition.js';

describe('content disposition', () => {
  it.each([
    ['image/png', 'inline'],
    ['IMAGE/JPEG; charset=binary', 'inline'],
    ['image/svg+xml', 'attachment'],
    ['text/html', 'attachment'],
    ['application/pdf', 'attachment'],
  ])('serves %s as %s', (contentType, kind) => {
    expect(contentDispositionOf(contentType, 'f').split(';')[0]).toBe(kind);
  });

  it('keeps quotes and non-ASCII out of the plain filename and gives the UTF-8 one', () => {
    expect(contentDispositionOf('text/plain', 'rapport "final" é.txt')).toBe(
      `attachment; filename="rapport _final_ _.txt"; filename*=UTF-8''rapport%20%22final%22%20%C3%A9.txt`,
    );
  });

  it.each(['text/plain', 'application/vnd.api+json', 'text/plain; charset=utf-8'])('accepts %s', (value) => {
    expect(isMediaType(value)).toBe(true);
  });
  it.each(['text', 'text plain', 'text/plain\r\nx: y', '/plain', 'a/b; c'])('refuses %j', (value) => {
    expect(isMediaType(value)).toBe(false);
  });
});
