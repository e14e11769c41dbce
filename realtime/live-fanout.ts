import { decodeRecorded } from '../projections/recorded-events.js';
import type { ConversationEvent } from '../domain/conversation/conversation.events.js';
import type { ReceiptsEvent } from '../domain/receipts/receipts.events.js';
import type { EventStore, RecordedEvent, Subscription } from '../infra/eventstore/event-store.js';
import type { Logger } from '../infra/logging/logger.js';
import { backoffDelay, sleep } from '../projections/runner/backoff.js';
import type { Connection, ConversationFrame } from './connection.js';
import { deliveryHook, type OnMessageDelivered } from './delivery-hook.js';
import { WireFrame } from './wire-frame.js';
import { frameOf, type FrameLookups } from './frames.js';
import type { Hub, MembershipSnapshot } from './hub.js';
import { MembershipJournal } from './membership-journal.js';
import type { RealtimeQueries } from './realtime-queries.js';

const CONVERSATION_PREFIX = 'conversation-';
const RECEIPTS_PREFIX = 'receipts-';

export interface LiveFanoutDeps {
  eventStore: EventStore;
  hub: Hub;
  queries: RealtimeQueries;
  /** Resolves once the read models have applied the event at `position`. */
  waitForPosition: (position: bigint) => Promise<boolean>;
  logger: Logger;
  /** A `message.create` was handed to a recipient's socket without error. */
  onMessageDelivered?: OnMessageDelivered;
  /** A member left or was removed (any user, not only those connected here): presence revokes watches. */
  onMemberRemoved?: (userId: string, conversationId: string, position: bigint) => void;
}

/**
 * This node's subscription to the log: every event of a conversation or receipts
 * stream becomes one frame, built once, for the members connected here. It also
 * keeps the hub's membership current from the same events, in the same order,
 * so a frame never goes to someone who was not a member when it happened. Each
 * node runs its own: the log is the bus, no broker sits between nodes.
 */
export class LiveFanout {
  /**
   * The position through which membership changes have reached the hub. A
   * connection's membership snapshot must be at least this recent.
   */
  position = 0n;
  private journal: MembershipJournal | undefined;
  private subscription: Subscription | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly deps: LiveFanoutDeps) {}

  /** Subscribes from the head: a client catches up on the past with `sync`, not from here. */
  async start(): Promise<void> {
    this.position = await this.deps.eventStore.headPosition();
    this.journal = new MembershipJournal(this.position);
    this.loop = this.run();
  }

  /**
   * A user's membership `snapshot` from a read model brought forward to
   * `position` with the changes this fan-out applied since; undefined when
   * those changes are not all kept (the snapshot is older than this fan-out).
   */
  bringForward(
    userId: string,
    snapshot: MembershipSnapshot,
    position: bigint,
  ): MembershipSnapshot | undefined {
    return this.journal?.bringForward(userId, snapshot, position);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.subscription?.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      // Unfiltered, like the projections' subscriptions: from the head the filter
      // would save next to nothing, and the SQL store answers subscriptions that
      // ask for the same page with one read. `handle` skips other streams.
      this.subscription = this.deps.eventStore.subscribeToAll({ from: { after: this.position } });
      try {
        for await (const event of this.subscription) {
          await this.handle(event);
          failures = 0;
        }
        if (this.abort.signal.aborted) return;
        throw new Error('the subscription to $all ended');
      } catch (error) {
        if (this.abort.signal.aborted) return;
        failures += 1;
        this.deps.logger.error(
          { err: error, attempt: failures },
          'realtime subscription failed; resubscribing',
        );
        await this.subscription.stop();
        await sleep(backoffDelay(failures, 100, 5_000), this.abort.signal);
      }
    }
  }

  private async handle(event: RecordedEvent): Promise<void> {
    // First: anyone attaching from now on loads a snapshot at least this recent.
    this.position = event.position;
    try {
      if (event.stream.startsWith(CONVERSATION_PREFIX)) {
        await this.conversationEvent(event.stream.slice(CONVERSATION_PREFIX.length), event);
      } else if (event.stream.startsWith(RECEIPTS_PREFIX)) {
        this.receiptsEvent(event.stream.slice(RECEIPTS_PREFIX.length), event);
      }
    } catch (error) {
      // One bad event must not stop every client's feed; a client that sees the gap syncs.
      this.deps.logger.error(
        { err: error, stream: event.stream, revision: event.revision },
        'realtime could not fan out an event',
      );
    }
  }

  private async conversationEvent(conversationId: string, recorded: RecordedEvent): Promise<void> {
    const event = decodeRecorded<ConversationEvent>(recorded);
    const { hub } = this.deps;
    const { position } = recorded;
    // Joins apply before choosing recipients (a new member gets its own join), leaves after.
    if (event.type === 'ConversationCreated' || event.type === 'MembersAdded') {
      for (const member of event.data.members)
        this.changeMembership(member.userId, conversationId, true, position);
    }
    const recipients = hub.recipients(conversationId, position);
    if (event.type === 'MemberRemoved') {
      this.changeMembership(event.data.userId, conversationId, false, position);
      this.deps.onMemberRemoved?.(event.data.userId, conversationId, position);
    }
    if (recipients.length === 0) return;

    const frame = await frameOf(
      conversationId,
      recorded,
      new ReadModelLookups(this.deps, conversationId, recorded),
      event,
    );
    const onSent = deliveryHook(this.deps.onMessageDelivered, conversationId, frame);
    deliverOnce(recipients, conversationId, recorded.revision, frame, onSent);
  }

  private changeMembership(userId: string, conversationId: string, joined: boolean, position: bigint): void {
    this.journal?.record({ userId, conversationId, joined, position });
    this.deps.hub.changeMembership(userId, conversationId, joined, position);
  }

  private receiptsEvent(conversationId: string, recorded: RecordedEvent): void {
    const event = decodeRecorded<ReceiptsEvent>(recorded);
    if (event.type !== 'ReadMarkerMoved') return;
    const { userId, seq } = event.data;
    // Kept outside the conversation's stream: no `rev`, not replayed by `sync`.
    const wire = WireFrame.of({ type: 'message.read', data: { conversationId, userId, seq } });
    for (const connection of this.deps.hub.recipients(conversationId, recorded.position))
      connection.deliver({ conversationId, wire });
  }
}

/**
 * Serializes and encodes the frame once, for every recipient. A conversation
 * carries the caller's own `readSeq` and `unreadCount`, so for those frames each
 * member gets them from the read markers.
 */
function deliverOnce(
  recipients: readonly Connection[],
  conversationId: string,
  rev: number,
  frame: { type: string; data: Record<string, unknown> },
  onSent?: (connection: Connection) => void,
): void {
  const conversation = frame.data.conversation as PersonalizableConversation | null | undefined;
  if (!conversation) {
    const shared: ConversationFrame = {
      conversationId,
      rev,
      wire: WireFrame.of(frame),
      onSent,
    };
    for (const connection of recipients) connection.deliver(shared);
    return;
  }
  const perUser = new Map<string, ConversationFrame>();
  for (const connection of recipients) {
    let personal = perUser.get(connection.userId);
    if (personal === undefined) {
      const data = { ...frame.data, conversation: personalize(conversation, connection.userId) };
      personal = { conversationId, rev, wire: WireFrame.of({ ...frame, data }), onSent };
      perUser.set(connection.userId, personal);
    }
    connection.deliver(personal);
  }
}

/**
 * What a frame reads from the read models, once they have applied its event.
 * A class, not an object of closures: most events (a new message) never ask.
 */
class ReadModelLookups implements FrameLookups {
  constructor(
    private readonly deps: LiveFanoutDeps,
    private readonly conversationId: string,
    private readonly recorded: RecordedEvent,
  ) {}

  async message(messageId: string) {
    await this.deps.waitForPosition(this.recorded.position);
    return this.deps.queries.getMessage(this.conversationId, messageId);
  }

  async conversation() {
    await this.deps.waitForPosition(this.recorded.position);
    const actorId = this.recorded.metadata.actorId;
    return this.deps.queries.getConversation(typeof actorId === 'string' ? actorId : '', this.conversationId);
  }
}

interface PersonalizableConversation {
  lastSeq: number;
  readMarkers?: { userId: string; seq: number }[];
}

export function personalize(conversation: PersonalizableConversation, userId: string) {
  const readSeq = conversation.readMarkers?.find((marker) => marker.userId === userId)?.seq ?? 0;
  return { ...conversation, readSeq, unreadCount: Math.max(0, conversation.lastSeq - readSeq) };
}
