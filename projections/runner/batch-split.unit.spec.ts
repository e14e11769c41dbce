import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import { splitFailedBatch } from './batch-split.js';
import { ProjectionApplyError } from './transient-failure.js';

/** Events at positions 1 to `count`. */
function batch(count: number): RecordedEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    stream: 'split-test',
    revision: index,
    position: BigInt(index + 1),
    id: `event-${index + 1}`,
    type: 'Split',
    data: {},
    metadata: {},
    createdAt: new Date(0),
  }));
}

const positions = (parts: (readonly RecordedEvent[])[]) =>
  parts.map((part) => part.map((event) => Number(event.position)));

describe('splitFailedBatch', () => {
  it('halves a batch whose failure names no event, the larger half first', () => {
    expect(positions(splitFailedBatch(batch(5), new Error('applyBatch failed')))).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('cuts around the event a failure names: before it, it alone, after it', () => {
    const failure = new ProjectionApplyError('fragile', 3n, new Error('poison'));
    expect(positions(splitFailedBatch(batch(5), failure))).toEqual([[1, 2], [3], [4, 5]]);
  });

  it('leaves out empty parts when the named event is first or last', () => {
    expect(positions(splitFailedBatch(batch(3), new ProjectionApplyError('p', 1n, null)))).toEqual([
      [1],
      [2, 3],
    ]);
    expect(positions(splitFailedBatch(batch(3), new ProjectionApplyError('p', 3n, null)))).toEqual([
      [1, 2],
      [3],
    ]);
  });

  it('halves when the named event is not in the batch', () => {
    expect(positions(splitFailedBatch(batch(4), new ProjectionApplyError('p', 9n, null)))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('returns a single event as the one part', () => {
    expect(positions(splitFailedBatch(batch(1), new Error('commit failed')))).toEqual([[1]]);
  });
});
