import { z } from 'zod';

/**
 * The ephemeral signals realtime nodes send each other through the broker
 * (`infra/broker`). Validated on receipt: a malformed one (another version of
 * Parley sharing the Redis, say) is dropped rather than forwarded to clients.
 */
export const SignalChannel = {
  presence: 'presence',
  typing: 'typing',
  delivery: 'delivery',
} as const;

export const presenceSignal = z.object({
  userId: z.string(),
  status: z.enum(['online', 'offline']),
  lastSeenAt: z.string().nullable(),
});
export type PresenceSignal = z.infer<typeof presenceSignal>;

export const typingSignal = z.object({
  conversationId: z.string(),
  userId: z.string(),
  typing: z.boolean(),
});
export type TypingSignal = z.infer<typeof typingSignal>;

/** A recipient's devices received the conversation up to `seq`; `senderIds` wrote what it covers. */
export const deliveryReceipt = z.object({
  conversationId: z.string(),
  userId: z.string(),
  seq: z.number().int(),
  senderIds: z.array(z.string()),
});
export type DeliveryReceipt = z.infer<typeof deliveryReceipt>;

/** One node's receipts of one window, in one signal: a busy node publishes ~10 a second, not one per receipt. */
export const deliverySignal = z.object({ receipts: z.array(deliveryReceipt) });
export type DeliverySignal = z.infer<typeof deliverySignal>;
