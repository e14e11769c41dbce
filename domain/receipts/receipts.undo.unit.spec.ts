import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { orderedSnapshot } from '../testing/ordered-snapshot.js';
import { UndoLog } from '../undo-log.js';
import { evolveReceipts, evolveReceiptsWithUndo, initialReceiptsState } from './receipts.decider.js';
import type { ReceiptsEvent } from './receipts.events.js';

const conversationId = '00000000-0000-4000-8000-000000000001';
const marker = fc
  .record({
    userId: fc.constantFrom(
      '00000000-0000-4000-8000-00000000000a',
      '00000000-0000-4000-8000-00000000000b',
      '00000000-0000-4000-8000-00000000000c',
    ),
    seq: fc.nat({ max: 20 }),
  })
  .map(({ userId, seq }): ReceiptsEvent => ({
    type: 'ReadMarkerMoved',
    data: { conversationId, userId, seq, at: '2026-01-01T00:00:00.000Z' },
  }));

describe('receipts state undo', () => {
  it('rolling back a batch restores the markers it started from, and the batch folds as without a log', () => {
    fc.assert(
      fc.property(
        fc.array(marker, { maxLength: 20 }),
        fc.array(marker, { minLength: 1, maxLength: 10 }),
        (past, next) => {
          const state = initialReceiptsState();
          for (const event of past) evolveReceipts(state, event);
          const before = orderedSnapshot(state);
          const undo = new UndoLog();
          for (const event of next) evolveReceiptsWithUndo(state, event, undo);

          const expected = initialReceiptsState();
          for (const event of [...past, ...next]) evolveReceipts(expected, event);
          expect(orderedSnapshot(state)).toStrictEqual(orderedSnapshot(expected));

          undo.rollback();
          expect(orderedSnapshot(state)).toStrictEqual(before);
        },
      ),
    );
  });
});
