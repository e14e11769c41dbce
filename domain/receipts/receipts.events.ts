import { z } from 'zod';

/**
 * A member's read marker moved forward. Kept in a stream of its own per
 * conversation (`receipts-<conversationId>`), not in the conversation stream:
 * reads outnumber messages, and the conversation's revs should count what was
 * said, not who looked. Being in the log, unread counters rebuild from it.
 */
export const readMarkerMovedSchema = z.object({
  conversationId: z.uuid(),
  userId: z.uuid(),
  seq: z.number().int().nonnegative(),
  at: z.iso.datetime(),
});

export type ReadMarkerMoved = { type: 'ReadMarkerMoved'; data: z.infer<typeof readMarkerMovedSchema> };
export type ReceiptsEvent = ReadMarkerMoved;

export const receiptsStream = (conversationId: string) => `receipts-${conversationId}`;
