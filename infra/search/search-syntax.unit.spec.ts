import { describe, expect, it } from 'vitest';
import { toSimpleQueryString } from './elasticsearch/web-search-syntax.js';
import { MATCH_START, MATCH_STOP, toHighlightMarkup } from './highlight-markup.js';

describe('highlight markup', () => {
  it('wraps matches in <mark> and escapes everything else', () => {
    expect(toHighlightMarkup(`a <b> & "c" ${MATCH_START}term${MATCH_STOP} 'd'`)).toBe(
      'a &lt;b&gt; &amp; &quot;c&quot; <mark>term</mark> &#39;d&#39;',
    );
  });

  it('never leaves a <mark> open or closes one that is not open', () => {
    expect(toHighlightMarkup(`${MATCH_STOP}x${MATCH_START}y${MATCH_START}z`)).toBe('x<mark>yz</mark>');
  });
});

describe('web-search syntax for Elasticsearch', () => {
  it('keeps words, phrases, or and -word', () => {
    expect(toSimpleQueryString('saturn "rings of" or moons -shine')).toBe('saturn "rings of" | moons -shine');
  });

  it('escapes every other operator, so input never becomes syntax', () => {
    expect(toSimpleQueryString('a+b c|d (e) f* ~g \\ h"')).toBe('a\\+b c\\|d \\(e\\) f\\* \\~g \\\\ h\\"');
    expect(toSimpleQueryString('"x*" -(y)')).toBe('"x\\*" -\\(y\\)');
  });

  it('drops an or with nothing to join, and what is left empty', () => {
    expect(toSimpleQueryString('or rocket or')).toBe('rocket');
    expect(toSimpleQueryString(' "" ')).toBe('');
  });
});
