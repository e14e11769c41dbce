import type { SignalBroker } from '../infra/broker/signal-broker.js';
import type { Hub } from './hub.js';
import { WireFrame } from './wire-frame.js';
import {
  deliverySignal,
  SignalChannel,
  type DeliveryReceipt,
  type DeliverySignal,
} from './signals.schemas.js';

export interface DeliveryReceiptsDeps {
  hub: Hub;
  broker: SignalBroker;
  /** At most one receipt per recipient per conversation per this many ms. */
  coalesceMs: number;
}

interface Pending {
  seq: number;
  senderIds: Set<string>;
}

/**
 * `message.delivery`: once a recipient's connection has been sent a
 * `message.create`, the message's sender hears that the recipient's device has
 * the conversation up to that seq. Receipts are coalesced on the recipient's
 * node (per recipient and conversation, the highest seq of a window, once) and
 * the window's receipts cross nodes as one broker signal, to wherever the
 * senders are connected. Best effort, like every signal.
 */
export class DeliveryReceipts {
  /** Conversation → recipient → what the window's receipt will say. */
  private pending = new Map<string, Map<string, Pending>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DeliveryReceiptsDeps) {}

  start(): void {
    this.deps.broker.subscribe(SignalChannel.delivery, (message) => {
      const parsed = deliverySignal.safeParse(message);
      if (parsed.success) for (const receipt of parsed.data.receipts) this.forward(receipt);
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  /** A `message.create` of `senderId`'s reached one of `recipientId`'s connections. */
  delivered(recipientId: string, conversationId: string, seq: number, senderId: string): void {
    if (recipientId === senderId) return;
    let recipients = this.pending.get(conversationId);
    if (!recipients) {
      recipients = new Map();
      this.pending.set(conversationId, recipients);
    }
    const pending = recipients.get(recipientId);
    if (pending) {
      pending.seq = Math.max(pending.seq, seq);
      pending.senderIds.add(senderId);
    } else {
      recipients.set(recipientId, { seq, senderIds: new Set([senderId]) });
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.deps.coalesceMs);
      this.timer.unref();
    }
  }

  private flush(): void {
    this.timer = undefined;
    const due = this.pending;
    this.pending = new Map();
    const receipts: DeliveryReceipt[] = [];
    for (const [conversationId, recipients] of due) {
      for (const [userId, { seq, senderIds }] of recipients)
        receipts.push({ conversationId, userId, seq, senderIds: [...senderIds] });
    }
    if (receipts.length > 0)
      this.deps.broker.publish(SignalChannel.delivery, { receipts } satisfies DeliverySignal);
  }

  private forward({ conversationId, userId, seq, senderIds }: DeliveryReceipt): void {
    const wire = WireFrame.of({ type: 'message.delivery', data: { conversationId, userId, seq } });
    for (const senderId of senderIds) {
      // Only to a sender still in the conversation (a receipt is conversation data).
      if (!this.deps.hub.isMember(senderId, conversationId)) continue;
      for (const connection of this.deps.hub.connectionsOf(senderId)) connection.send(wire);
    }
  }
}
