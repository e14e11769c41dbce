import type { DeliveryReceipt } from './signals.schemas.js';

interface RecipientReceipt {
  seq: number;
  senderIds: Set<string>;
}

interface ConversationWindow {
  closesAt: number;
  recipients: Map<string, RecipientReceipt>;
}

/**
 * Coalesces delivery receipts: one window per conversation, opened by its first
 * delivery and closed `windowMs` later, when each recipient's receipt (the
 * highest seq, for every sender it covers) is due. Conversations keep their own
 * windows rather than sharing one node-wide window, so a busy node's receipts fall
 * due spread over time instead of in one burst that stalls every socket at once.
 *
 * Pure bookkeeping: the caller passes a monotonic `now`. Windows open in time
 * order, so they close in insertion order and `takeDue` stops at the first still open.
 */
export class ReceiptWindows {
  private readonly open = new Map<string, ConversationWindow>();

  constructor(private readonly windowMs: number) {}

  get size(): number {
    return this.open.size;
  }

  add(conversationId: string, userId: string, seq: number, senderId: string, now: number): void {
    let window = this.open.get(conversationId);
    if (!window) {
      window = { closesAt: now + this.windowMs, recipients: new Map() };
      this.open.set(conversationId, window);
    }
    const receipt = window.recipients.get(userId);
    if (receipt) {
      receipt.seq = Math.max(receipt.seq, seq);
      receipt.senderIds.add(senderId);
    } else {
      window.recipients.set(userId, { seq, senderIds: new Set([senderId]) });
    }
  }

  /** Closes every window due by `now` and answers their receipts, oldest window first. */
  takeDue(now: number): DeliveryReceipt[] {
    const due: DeliveryReceipt[] = [];
    for (const [conversationId, window] of this.open) {
      if (window.closesAt > now) break;
      this.open.delete(conversationId);
      for (const [userId, { seq, senderIds }] of window.recipients)
        due.push({ conversationId, userId, seq, senderIds: [...senderIds] });
    }
    return due;
  }

  clear(): void {
    this.open.clear();
  }
}
