import { nextReadSeq } from '../conversation/read-marker.js';
import { setEntry, type UndoLog } from '../undo-log.js';
import type { ReadMarkerMoved, ReceiptsEvent } from './receipts.events.js';

/** A member's explicit read marker and when it was set. */
export interface ReadMarker {
  seq: number;
  /** ISO time of the ReadMarkerMoved that set it. */
  at: string;
}

/** Explicit read markers of one conversation, by user id. */
export type ReceiptsState = Map<string, ReadMarker>;

export function initialReceiptsState(): ReceiptsState {
  return new Map();
}

/** The entries a state holds (one read marker per member): what keeping it cached costs. */
export function receiptsStateEntries(state: ReceiptsState): number {
  return 1 + state.size;
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
  // The newest event wins: markers only move forward within one membership, and a
  // member who left and came back starts again below their old marker.
  setEntry(state, event.data.userId, { seq: event.data.seq, at: event.data.at }, undo);
  return state;
}

export interface MarkRead {
  conversationId: string;
  userId: string;
  seq: number;
  /** When the member's current membership began (their `joinedAt`). */
  memberSince: string;
}

/**
 * Moves a member's marker forward (clamped to the conversation's last seq).
 * Membership is checked by the caller against the conversation's state; a marker
 * set before the current membership began counts as none, as in the read models.
 */
export function markRead(
  command: MarkRead,
  state: ReceiptsState,
  lastSeq: number,
  now: Date,
): ReadMarkerMoved[] {
  const marker = state.get(command.userId);
  const current = marker && marker.at >= command.memberSince ? marker.seq : 0;
  const next = nextReadSeq(current, command.seq, lastSeq);
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
