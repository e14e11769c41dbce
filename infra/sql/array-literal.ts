/**
 * A flat array parameter as PostgreSQL's array literal, or undefined when it holds
 * anything but strings, numbers, bigints, booleans and nulls (the driver then
 * encodes it). Read models write a batch as parallel arrays, and the driver's own
 * encoder runs two regular expressions over every element and builds each quoted
 * copy: on a busy node a visible share of the time. Here an element without a
 * quote or a backslash is quoted as it is.
 */
export function arrayLiteral(values: readonly unknown[]): string | undefined {
  let literal = '{';
  for (let index = 0; index < values.length; index++) {
    const element = values[index];
    if (index > 0) literal += ',';
    if (typeof element === 'string') {
      literal += NEEDS_ESCAPE.test(element) ? `"${element.replace(ESCAPED, '\\$&')}"` : `"${element}"`;
    } else if (typeof element === 'number' || typeof element === 'bigint' || typeof element === 'boolean') {
      literal += String(element);
    } else if (element === null || element === undefined) {
      literal += 'NULL';
    } else {
      return undefined;
    }
  }
  return `${literal}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** The statement's values with every flat array that `arrayLiteral` takes encoded by it. */
export function encodeArrays(values: readonly unknown[]): unknown[] {
  return values.map((value) => (Array.isArray(value) ? (arrayLiteral(value) ?? value) : value));
}
