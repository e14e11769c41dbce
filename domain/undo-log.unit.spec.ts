import { describe, expect, it } from 'vitest';

import { orderedSnapshot } from './testing/ordered-snapshot.js';
import {
  addValue,
  assignField,
  deleteEntry,
  deleteValue,
  removeField,
  setEntry,
  UndoLog,
} from './undo-log.js';

describe('undo log', () => {
  it('takes back map changes newest first, keeping every key in its place', () => {
    const map = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const before = orderedSnapshot(map);
    const undo = new UndoLog();
    deleteEntry(map, 'b', undo); // from the middle
    setEntry(map, 'b', 20, undo); // returns at the end
    setEntry(map, 'a', 10, undo); // replaced in place
    setEntry(map, 'd', 4, undo); // new
    deleteEntry(map, 'a', undo); // first
    deleteEntry(map, 'zzz', undo); // absent: nothing to take back
    expect([...map]).toEqual([
      ['c', 3],
      ['b', 20],
      ['d', 4],
    ]);
    undo.rollback();
    expect(orderedSnapshot(map)).toStrictEqual(before);
    expect(undo.length).toBe(0);
  });

  it('takes back set changes, keeping every value in its place', () => {
    const set = new Set(['x', 'y', 'z']);
    const undo = new UndoLog();
    deleteValue(set, 'y', undo);
    addValue(set, 'y', undo);
    addValue(set, 'x', undo); // already there: nothing recorded
    deleteValue(set, 'x', undo);
    expect([...set]).toEqual(['z', 'y']);
    undo.rollback();
    expect([...set]).toEqual(['x', 'y', 'z']);
  });

  it('takes back fields, removing one that was absent and restoring one that was removed', () => {
    const tags = new Set(['t']);
    const record: { title: string; tags?: Set<string>; extra?: number } = { title: 'old', tags };
    const undo = new UndoLog();
    assignField(record, 'title', 'new', undo);
    removeField(record, 'tags', undo);
    assignField(record, 'extra', 1, undo);
    expect(record).toStrictEqual({ title: 'new', extra: 1 });
    undo.rollback();
    expect(record).toStrictEqual({ title: 'old', tags });
    expect(record.tags).toBe(tags);
    expect(Object.hasOwn(record, 'extra')).toBe(false);
  });

  it('rolls back to a mark, leaving earlier changes in place', () => {
    const map = new Map<string, number>();
    const undo = new UndoLog();
    setEntry(map, 'kept', 1, undo);
    const mark = undo.length;
    setEntry(map, 'dropped', 2, undo);
    undo.rollbackTo(mark);
    expect([...map]).toEqual([['kept', 1]]);
    expect(undo.length).toBe(mark);
  });

  it('records nothing and still changes the target when given no log', () => {
    const map = new Map([['a', 1]]);
    deleteEntry(map, 'a');
    setEntry(map, 'b', 2);
    expect([...map]).toEqual([['b', 2]]);
  });
});
