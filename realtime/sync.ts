import { conversationStream } from '../commands/conversations/conversation-commands.js';
import { StreamNotFoundError } from '../infra/eventstore/event-store.errors.js';
import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.js';
import type { Connection, ConversationFrame } from './connection.js';
import { deliveryHook, type OnMessageDelivered } from './delivery-hook.js';
import { WireFrame } from './wire-frame.js';
import { frameOf } from './frames.js';
import type { Hub } from './hub.js';
import type { RealtimeQueries } from './realtime-queries.js';

/** Events read and sent per step: the replay waits for the client between steps. */
const REPLAY_PAGE = 100;

export interface SyncDeps {
  eventStore: EventStore;
  hub: Hub;
  queries: RealtimeQueries;
  waitForPosition: (position: bigint) => Promise<boolean>;
  /** A replayed `message.create` was handed to the socket without error (delivery receipts). */
  onMessageDelivered?: OnMessageDelivered;
}

/**
 * `sync {cursors}`: for each conversation the user is a member of (others are
 * ignored, so nothing leaks), replays the frames after the client's `lastRev` in
 * rev order, then sends `sync.done`, then lets the live frames through. Live
 * frames of those conversations are held while the replay runs and released
 * after it, minus those it already covered: no gap and no duplicate.
 */
export async function syncConnection(
  deps: SyncDeps,
  connection: Connection,
  cursors: Record<string, number>,
): Promise<void> {
  // How far each conversation's replay got, finished or not: `endReplay` records it as sent.
  const replays = new Map<string, Replay>();
  for (const [conversationId, afterRev] of Object.entries(cursors))
    if (deps.hub.isMember(connection.userId, conversationId))
      replays.set(conversationId, { afterRev, lastRev: afterRev });
  const finished = new Set<string>();
  connection.beginReplay(replays.keys());
  try {
    for (const [conversationId, replay] of replays) {
      await replayConversation(deps, connection, conversationId, replay);
      finished.add(conversationId);
    }
  } finally {
    // Conversations the replay did not finish (it failed) get no cursor; the client syncs them again.
    const done = [...finished].map((id): [string, number] => [id, replays.get(id)!.lastRev]);
    connection.sendFrame({ type: 'sync.done', data: { cursors: Object.fromEntries(done) } });
    connection.endReplay(replays);
  }
}

/** One conversation's replay: the client's cursor, and the last revision sent so far. */
interface Replay {
  readonly afterRev: number;
  lastRev: number;
}

/** Sends the conversation's frames after `replay.afterRev`, advancing `replay.lastRev` page by page. */
async function replayConversation(
  deps: SyncDeps,
  connection: Connection,
  conversationId: string,
  replay: Replay,
): Promise<void> {
  const lookups = {
    message: (messageId: string) => deps.queries.getMessage(conversationId, messageId),
    conversation: () => deps.queries.getConversation(connection.userId, conversationId),
  };
  for (;;) {
    const events = await readAfter(deps.eventStore, conversationId, replay.lastRev);
    const last = events.at(-1);
    if (!last || !connection.open) return;
    // Edits and conversation changes are sent as the read models have them: let them catch up first.
    await deps.waitForPosition(last.position);
    const frames: ConversationFrame[] = [];
    for (const event of events) {
      const frame = await frameOf(conversationId, event, lookups);
      frames.push({
        conversationId,
        rev: event.revision,
        wire: WireFrame.of(frame),
        onSent: deliveryHook(deps.onMessageDelivered, conversationId, frame),
      });
    }
    await connection.sendReplayed(frames);
    replay.lastRev = last.revision;
    if (events.length < REPLAY_PAGE) return;
  }
}

async function readAfter(
  eventStore: EventStore,
  conversationId: string,
  rev: number,
): Promise<RecordedEvent[]> {
  try {
    return await eventStore.readStream(conversationStream(conversationId), {
      fromRevision: rev + 1,
      maxCount: REPLAY_PAGE,
    });
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
}
