import { NotFoundError } from '../domain/errors.js';
import type { SignalBroker } from '../infra/broker/signal-broker.js';
import type { Hub } from './hub.js';
import { SignalChannel, typingSignal, type TypingSignal } from './signals.schemas.js';
import { WireFrame } from './wire-frame.js';

export interface TypingDeps {
  hub: Hub;
  broker: SignalBroker;
  /** PROTOCOL.md: typing expires after 6 s without renewal. */
  expiryMs: number;
}

/**
 * Typing indicators. A member's `typing.start`/`typing.stop` goes to the broker;
 * every node (this one included) forwards it to the other members connected
 * there and runs the expiry itself, so a typer whose node dies still stops
 * typing everywhere after `expiryMs`. A renewal while typing sends nothing.
 */
export class TypingRelay {
  /** `<conversationId> <userId>` → the expiry of someone typing, as this node sees it. */
  private readonly typing = new Map<string, NodeJS.Timeout>();
  /** userId → conversations they started typing in from this node (cleared when they leave it). */
  private readonly typedHere = new Map<string, Set<string>>();

  constructor(private readonly deps: TypingDeps) {}

  start(): void {
    this.deps.broker.subscribe(SignalChannel.typing, (message) => {
      const parsed = typingSignal.safeParse(message);
      if (parsed.success) this.onSignal(parsed.data);
    });
  }

  stop(): void {
    for (const timer of this.typing.values()) clearTimeout(timer);
    this.typing.clear();
    this.typedHere.clear();
  }

  /** From a client; a non-member learns nothing (as over REST, the conversation is not found). */
  signal(userId: string, conversationId: string, typing: boolean): void {
    if (!this.deps.hub.isMember(userId, conversationId)) throw new NotFoundError('conversation not found');
    const typers = this.typedHere.get(userId) ?? new Set<string>();
    if (typing) this.typedHere.set(userId, typers.add(conversationId));
    else typers.delete(conversationId);
    if (typers.size === 0) this.typedHere.delete(userId);
    this.deps.broker.publish(SignalChannel.typing, { conversationId, userId, typing } satisfies TypingSignal);
  }

  /** A user's last connection here closed: whatever they were typing here stops now, not at expiry. */
  userLeft(userId: string): void {
    for (const conversationId of this.typedHere.get(userId) ?? [])
      this.deps.broker.publish(SignalChannel.typing, {
        conversationId,
        userId,
        typing: false,
      } satisfies TypingSignal);
    this.typedHere.delete(userId);
  }

  private onSignal(signal: TypingSignal): void {
    const key = `${signal.conversationId} ${signal.userId}`;
    const running = this.typing.get(key);
    if (running) clearTimeout(running);
    if (!signal.typing) {
      this.typing.delete(key);
      if (running) this.forward(signal);
      return;
    }
    const expiry = setTimeout(() => {
      this.typing.delete(key);
      this.forward({ ...signal, typing: false });
    }, this.deps.expiryMs);
    expiry.unref();
    this.typing.set(key, expiry);
    if (!running) this.forward(signal);
  }

  private forward(signal: TypingSignal): void {
    const wire = WireFrame.of({ type: 'typing.update', data: signal });
    for (const connection of this.deps.hub.localConnections(signal.conversationId)) {
      if (connection.userId !== signal.userId) connection.send(wire);
    }
  }
}
