/** Characters with a meaning in Elasticsearch's `simple_query_string`, escaped with a backslash. */
const SPECIAL = /[+|\-"*()~\\<>&]/g;

const escapeTerm = (term: string) => term.replace(SPECIAL, (character) => `\\${character}`);

/**
 * The web-search syntax PostgreSQL's `websearch_to_tsquery` reads (words, "quoted
 * phrases", `or`, `-word`) as a `simple_query_string` query, with every other
 * character escaped: what a user types never reaches Elasticsearch as syntax.
 * Returns '' when nothing searchable is left.
 */
export function toSimpleQueryString(text: string): string {
  const parts: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const [, phrase, word] = match;
    if (phrase !== undefined) {
      const words = phrase.split(/\s+/).filter(Boolean).map(escapeTerm);
      if (words.length > 0) parts.push(`"${words.join(' ')}"`);
    } else if (word !== undefined) {
      if (/^or$/i.test(word)) {
        // Only between two terms, as websearch_to_tsquery reads it.
        if (parts.length > 0 && parts[parts.length - 1] !== '|') parts.push('|');
      } else if (word.startsWith('-') && word.length > 1) {
        parts.push(`-${escapeTerm(word.slice(1))}`);
      } else {
        parts.push(escapeTerm(word));
      }
    }
  }
  if (parts[parts.length - 1] === '|') parts.pop();
  return parts.join(' ');
}
