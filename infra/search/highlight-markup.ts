import { HIGHLIGHT_MARKUP } from './message-search-index.js';

/**
 * Control characters an engine puts around matched terms instead of markup, so
 * that the body can be HTML-escaped afterwards without escaping the markup too.
 * Bodies have them removed before highlighting, so they cannot be forged.
 */
export const MATCH_START = '\u0001';
export const MATCH_STOP = '\u0002';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/** Text with `MATCH_START`/`MATCH_STOP` around matches → HTML-escaped text with `<mark>` around matches. */
export function toHighlightMarkup(marked: string): string {
  let html = '';
  let open = false;
  // eslint-disable-next-line no-control-regex -- the sentinels are control characters on purpose
  for (const part of marked.split(/([\u0001\u0002])/)) {
    if (part === MATCH_START) {
      if (!open) html += HIGHLIGHT_MARKUP.start;
      open = true;
    } else if (part === MATCH_STOP) {
      if (open) html += HIGHLIGHT_MARKUP.stop;
      open = false;
    } else {
      html += escapeHtml(part);
    }
  }
  return open ? html + HIGHLIGHT_MARKUP.stop : html;
}
