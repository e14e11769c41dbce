import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/support/seeded-random.js';
import { migrate } from '../../sql/migrate.js';
import type { SqlClient } from '../../sql/sql-client.js';
import { openTestSql, sqlEngines } from '../../sql/testing/sql-engines.js';
import { eventStoreMigrations } from './sql-event-store.schema.js';

/**
 * `parley_append` decides a batch of distinct streams and fresh ids set-based and
 * hands any other batch to `parley_append_in_order`. Both are checked here against
 * a model of the append rules, on random batches that mix the two kinds: several
 * appends to one stream, retries, reused ids, every kind of expectation, empty appends.
 */

interface Append {
  stream: string;
  expected: string;
  ids: string[];
}

type Answer = { r: number; p: string; dup?: true } | { err: string; actual?: number | null };

interface StoredEvent {
  position: number;
  stream: string;
  revision: number;
  id: string;
}

/** The rules, one append after another, as the log must apply them. */
class LogModel {
  head = 0;
  readonly events: StoredEvent[] = [];
  private readonly revisions = new Map<string, number>();
  private readonly known = new Map<string, StoredEvent>();

  apply(append: Append): Answer {
    const found = append.ids.flatMap((id) => this.known.get(id) ?? []);
    if (found.length > 0) {
      const offsets = new Set(found.map((event, index) => event.revision - index));
      const retry =
        found.length === append.ids.length &&
        found.every((event) => event.stream === append.stream) &&
        offsets.size === 1;
      if (!retry) return { err: 'duplicate_event_id' };
      const last = found[found.length - 1]!;
      return { r: last.revision, p: String(last.position), dup: true };
    }
    const current = this.revisions.get(append.stream) ?? null;
    if (!holds(append.expected, current)) return { err: 'wrong_expected_version', actual: current };
    const base = current ?? -1;
    append.ids.forEach((id, index) => {
      const event = {
        position: this.head + index + 1,
        stream: append.stream,
        revision: base + index + 1,
        id,
      };
      this.events.push(event);
      this.known.set(id, event);
    });
    this.head += append.ids.length;
    if (append.ids.length > 0) this.revisions.set(append.stream, base + append.ids.length);
    return { r: base + append.ids.length, p: String(this.head) };
  }

  revisionOf(stream: string): number | null {
    return this.revisions.get(stream) ?? null;
  }

  idsOf(stream: string): string[] {
    return this.events.filter((event) => event.stream === stream).map((event) => event.id);
  }
}

function holds(expected: string, current: number | null): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === null;
  if (expected === 'stream_exists') return current !== null;
  return current === Number(expected);
}

/** Batches of up to 12 appends: mostly fresh ids on distinct streams (the common case), often not. */
function randomBatch(random: () => number, model: LogModel, streams: string[]): Append[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const distinct = random() < 0.6;
  const pool = distinct ? [...streams].sort(() => random() - 0.5) : streams.slice(0, 3);
  const size = 1 + Math.floor(random() * Math.min(12, pool.length));
  return Array.from({ length: size }, (_unused, index) => {
    const stream = distinct ? pool[index]! : pick(pool);
    const current = model.revisionOf(stream);
    const expected = pick([
      'any',
      'no_stream',
      'stream_exists',
      String(current ?? 0),
      String((current ?? 0) + 1),
    ]);
    const earlier = model.idsOf(stream);
    const roll = random();
    let ids: string[];
    if (roll < 0.08 && earlier.length > 0)
      ids = earlier.slice(-2); // a retry of the last append
    else if (roll < 0.12 && earlier.length > 0)
      ids = [earlier[0]!, randomUUID()]; // an id reused
    else ids = Array.from({ length: Math.floor(random() * 4) }, () => randomUUID());
    return { stream, expected, ids };
  });
}

async function callAppend(sql: SqlClient, fn: string, batch: Append[]): Promise<Answer[]> {
  const rows = await sql.query<{ results: Answer[] }>(
    `select ${fn}($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::text[], $7::text[]) as results`,
    [
      batch.map((append) => append.stream),
      batch.map((append) => append.expected),
      batch.map((append) => append.ids.length),
      batch.flatMap((append) => append.ids),
      batch.flatMap((append) => append.ids.map(() => 'Tested')),
      batch.flatMap((append) => append.ids.map((id) => JSON.stringify({ id }))),
      batch.flatMap((append) => append.ids.map(() => '{}')),
    ],
  );
  return rows[0]!.results;
}

/** Answers as the model writes them: an absent `actual` and `dup` stay absent. */
function normalized(answers: Answer[]): Answer[] {
  return answers.map((answer) =>
    'err' in answer && answer.err === 'wrong_expected_version'
      ? { err: answer.err, actual: answer.actual === null ? null : Number(answer.actual) }
      : 'err' in answer
        ? { err: answer.err }
        : { r: Number(answer.r), p: String(answer.p), ...(answer.dup ? { dup: true as const } : {}) },
  );
}

describe.each(sqlEngines)('parley_append on %s', (name) => {
  let engine: Awaited<ReturnType<typeof openTestSql>>;

  beforeAll(async () => {
    engine = await openTestSql(name, 'append_fn');
    await migrate(engine.sql, 'eventstore', eventStoreMigrations);
  });
  afterAll(() => engine?.close());

  it.each(['parley_append', 'parley_append_in_order'])(
    '%s answers and stores what the append rules say, batch after batch',
    async (fn) => {
      const random = seededRandom(fn.length * 7919);
      const model = new LogModel();
      const streams = Array.from({ length: 10 }, () => `${fn}-${randomUUID()}`);
      const { sql } = engine;
      const headRows = await sql.query<{ head: string }>(
        'select coalesce(max(position), 0)::text as head from es_events',
      );
      const offset = Number(headRows[0]!.head);
      model.head = offset;
      for (let round = 0; round < 60; round += 1) {
        const batch = randomBatch(random, model, streams);
        const expected = batch.map((append) => model.apply(append));
        expect(normalized(await callAppend(sql, fn, batch)), `batch ${round}`).toEqual(expected);
      }
      const stored = await sql.query<{ position: string; stream: string; revision: string; id: string }>(
        `select e.position::text as position, e.stream_name as stream, e.revision::text as revision,
                e.event_id::text as id
           from es_events e where e.stream_name = any($1::text[]) order by e.position`,
        [streams],
      );
      expect(
        stored.map((row) => ({
          position: Number(row.position),
          stream: row.stream,
          revision: Number(row.revision),
          id: row.id,
        })),
      ).toEqual(model.events);
    },
  );

  it('stores each event text as given and notifies the new head once', async () => {
    const { sql } = engine;
    const notified: (string | null)[] = [];
    const unlisten = await sql.listen('parley_events', (payload) => notified.push(payload));
    try {
      const streams = [`text-${randomUUID()}`, `text-${randomUUID()}`];
      const answers = await callAppend(sql, 'parley_append', [
        { stream: streams[0]!, expected: 'no_stream', ids: [randomUUID(), randomUUID()] },
        { stream: streams[1]!, expected: '7', ids: [randomUUID()] },
        { stream: streams[1]!.toUpperCase(), expected: 'any', ids: [randomUUID()] },
      ]);
      const head = Number((answers[2] as { p: string }).p);
      expect(answers[1]).toEqual({ err: 'wrong_expected_version', actual: null });
      const rows = await sql.query<{ data: { id: string }; id: string; type: string }>(
        'select data, event_id::text as id, type from es_events where position > $1::bigint - 3 order by position',
        [head],
      );
      expect(rows.map((row) => row.type)).toEqual(['Tested', 'Tested', 'Tested']);
      for (const row of rows) expect(row.data).toEqual({ id: row.id });
      await expect.poll(() => notified.filter((payload) => payload === String(head)).length).toBe(1);
    } finally {
      await unlisten();
    }
  });
});
