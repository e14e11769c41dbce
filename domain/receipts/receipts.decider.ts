import { nextReadSeq } from '../conversation/read-marker.js';
import { setEntry, type UndoLog } from '../undo-log.js';
import type { ReadMarkerMoved, ReceiptsEvent } from './receipts.events.js';

/** Explicit read markers of one conversation: userId → seq. */
export type ReceiptsState = Map<string, number>;

export function initialReceiptsState(): ReceiptsState {
  return new Map();
}

/** Folds in place, like the conversation state: only stored events are evolved. */
export function evolveReceipts(state: ReceiptsState, event: ReceiptsEvent): ReceiptsState {
  return evolveReceiptsWithUndo(state, event, undefined);
}

/** `evolveReceipts`, recording in `undo` how to take the change back (see `UndoLog`). */
export function evolveReceiptsWithUndo(
  state: ReceiptsState,
  event: ReceiptsEvent,
  undo: UndoLog | undefined,
): ReceiptsState {
  const current = state.get(event.data.userId) ?? 0;
  setEntry(state, event.data.userId, Math.max(current, event.data.seq), undo);
  return state;
}

export interface MarkRead {
  conversationId: string;
  userId: string;
  seq: number;
}

/**
 * Moves a member's marker forward (clamped to the conversation's last seq).
 * Membership is checked by the caller against the conversation's state.
 */
export function markRead(
  command: MarkRead,
  state: ReceiptsState,
  lastSeq: number,
  now: Date,
): ReadMarkerMoved[] {
  const next = nextReadSeq(state.get(command.userId) ?? 0, command.seq, lastSeq);
  if (next === null) return [];
  return [
    {
      type: 'ReadMarkerMoved',
      data: {
        conversationId: command.conversationId,
        userId: command.userId,
        seq: next,
        at: now.toISOString(),
      },
    },
  ];
}
