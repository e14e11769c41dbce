import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../test/support/postgres.js';
import { arrayLiteral } from './array-literal.js';
import { createPostgresClient } from './postgres.sql-client.js';
import type { SqlClient } from './sql-client.js';

const AWKWARD = [
  '',
  'plain',
  'say "hi"',
  'back\\slash',
  '\\"',
  '{braces}, commas, and spaces ',
  'NULL',
  'null',
  'multi\nline\ttab',
  'héllo 👋🏽 مرحبا',
];

describe('arrayLiteral', () => {
  let sql: SqlClient;
  beforeAll(() => {
    sql = createPostgresClient({ connectionString: TEST_DATABASE_URL, max: 1 });
  });
  afterAll(() => sql.close());

  /** What PostgreSQL reads from the literal, sent as a plain text parameter. */
  async function read(literal: string | undefined, type: string): Promise<unknown> {
    expect(literal).toBeTypeOf('string');
    const [row] = await sql.query<{ value: unknown }>(`select ($1::text)::${type} as value`, [literal]);
    return row!.value;
  }

  it('PostgreSQL reads text elements back exactly, quotes, backslashes and NULL-like words included', async () => {
    expect(await read(arrayLiteral(AWKWARD), 'text[]')).toEqual(AWKWARD);
  });

  it('writes null and undefined as NULL, and numbers, bigints and booleans as their text', async () => {
    expect(await read(arrayLiteral(['a', null, undefined]), 'text[]')).toEqual(['a', null, null]);
    expect(await read(arrayLiteral([1, -2, 3]), 'int[]')).toEqual([1, -2, 3]);
    expect(await read(arrayLiteral([1.5, -0.25]), 'float8[]')).toEqual([1.5, -0.25]);
    expect(await read(arrayLiteral([2n ** 62n]), 'int8[]')).toEqual([String(2n ** 62n)]);
    expect(await read(arrayLiteral([true, false]), 'bool[]')).toEqual([true, false]);
    expect(await read(arrayLiteral([]), 'uuid[]')).toEqual([]);
  });

  it('leaves to the driver what it does not encode: nested arrays, dates, objects, buffers', () => {
    expect(arrayLiteral([['a']])).toBeUndefined();
    expect(arrayLiteral([new Date()])).toBeUndefined();
    expect(arrayLiteral([{ a: 1 }])).toBeUndefined();
    expect(arrayLiteral([Buffer.from('a')])).toBeUndefined();
  });

  it('array parameters of the client go through it, and read back as the driver’s would', async () => {
    const [row] = await sql.query<{ texts: string[]; dates: Date[] }>(
      'select $1::text[] as texts, $2::timestamptz[] as dates',
      [AWKWARD, [new Date('2026-01-02T03:04:05.678Z')]],
    );
    expect(row).toEqual({ texts: AWKWARD, dates: [new Date('2026-01-02T03:04:05.678Z')] });
  });
});
