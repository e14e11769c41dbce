import { performance } from 'node:perf_hooks';
import type { SignalBroker } from '../infra/broker/signal-broker.js';
import type { Hub } from './hub.js';
import { ReceiptWindows } from './receipt-windows.js';
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

/** Due receipts leave on ticks this many times per window: a receipt is at most a tenth of a window late. */
const TICKS_PER_WINDOW = 10;

/**
 * `message.delivery`: once a recipient's connection has been sent a
 * `message.create`, the message's sender hears that the recipient's device has
 * the conversation up to that seq. Receipts are coalesced on the recipient's
 * node (per recipient and conversation, the highest seq of a window, once), and
 * each tick's due receipts cross nodes as one broker signal, to wherever the
 * senders are connected. Best effort, like every signal.
 */
export class DeliveryReceipts {
  private readonly windows: ReceiptWindows;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DeliveryReceiptsDeps) {
    this.windows = new ReceiptWindows(deps.coalesceMs);
  }

  start(): void {
    this.deps.broker.subscribe(SignalChannel.delivery, (message) => {
      const parsed = deliverySignal.safeParse(message);
      if (parsed.success) for (const receipt of parsed.data.receipts) this.forward(receipt);
    });
  }

  stop(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.windows.clear();
  }

  /** A `message.create` of `senderId`'s reached one of `recipientId`'s connections. */
  delivered(recipientId: string, conversationId: string, seq: number, senderId: string): void {
    if (recipientId === senderId) return;
    this.windows.add(conversationId, recipientId, seq, senderId, performance.now());
    if (!this.ticker) {
      this.ticker = setInterval(() => this.publishDue(), Math.ceil(this.deps.coalesceMs / TICKS_PER_WINDOW));
      this.ticker.unref();
    }
  }

  private publishDue(): void {
    const receipts = this.windows.takeDue(performance.now());
    if (receipts.length > 0)
      this.deps.broker.publish(SignalChannel.delivery, { receipts } satisfies DeliverySignal);
    if (this.windows.size === 0) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private forward({ conversationId, userId, seq, senderIds }: DeliveryReceipt): void {
    const wire = WireFrame.of({ type: 'message.delivery', data: { conversationId, userId, seq } });
    for (const senderId of senderIds) {
      // Only to a sender still in the conversation (a receipt is conversation data).
      if (!this.deps.hub.isMember(senderId, conversationId)) continue;
      for (const connection of this.deps.hub.connectionsOf(senderId)) connection.sendUnhurried(wire);
    }
  }
}
