import { conversationStream } from '../commands/conversations/conversation-commands.js';
import { StreamNotFoundError } from '../infra/eventstore/event-store.errors.js';
import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.js';
import type { Connection, ConversationFrame } from './connection.js';
import { frameOf } from './frames.js';
import type { Hub } from './hub.js';
import type { DeliveredMessage } from './live-fanout.js';
import type { RealtimeQueries } from './realtime-queries.js';

/** Events read and sent per step: the replay waits for the client between steps. */
const REPLAY_PAGE = 100;

export interface SyncDeps {
  eventStore: EventStore;
  hub: Hub;
  queries: RealtimeQueries;
  waitForPosition: (position: bigint) => Promise<boolean>;
  /** A replayed `message.create` was handed to the socket without error (delivery receipts). */
  onMessageDelivered?: (connection: Connection, message: DeliveredMessage) => void;
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
): Promise<Record<string, number>> {
  const wanted = Object.entries(cursors).filter(([conversationId]) =>
    deps.hub.isMember(connection.userId, conversationId),
  );
  const replayed = new Map<string, number>();
  // How far each replay got, finished or not: `endReplay` records it as sent.
  const progress = new Map<string, { afterRev: number; lastRev: number }>(
    wanted.map(([conversationId, afterRev]) => [conversationId, { afterRev, lastRev: afterRev }]),
  );
  connection.beginReplay(progress.keys());
  try {
    for (const [conversationId, afterRev] of wanted) {
      const onPage = (lastRev: number) => progress.set(conversationId, { afterRev, lastRev });
      replayed.set(
        conversationId,
        await replayConversation(deps, connection, conversationId, afterRev, onPage),
      );
    }
  } finally {
    // Conversations the replay did not finish (it failed) get no cursor; the client syncs them again.
    connection.sendFrame({ type: 'sync.done', data: { cursors: Object.fromEntries(replayed) } });
    connection.endReplay(progress);
  }
  return Object.fromEntries(replayed);
}

/** Sends the conversation's frames after `afterRev`; resolves to the last revision replayed. */
async function replayConversation(
  deps: SyncDeps,
  connection: Connection,
  conversationId: string,
  afterRev: number,
  onPage: (lastRev: number) => void,
): Promise<number> {
  const lookups = {
    message: (messageId: string) => deps.queries.getMessage(conversationId, messageId),
    conversation: () => deps.queries.getConversation(connection.userId, conversationId),
  };
  let lastRev = afterRev;
  for (;;) {
    const events = await readAfter(deps.eventStore, conversationId, lastRev);
    const last = events.at(-1);
    if (!last || !connection.open) return lastRev;
    // Edits and conversation changes are sent as the read models have them: let them catch up first.
    await deps.waitForPosition(last.position);
    const frames: ConversationFrame[] = [];
    for (const event of events) {
      const frame = await frameOf(conversationId, event, lookups);
      frames.push({
        conversationId,
        rev: event.revision,
        text: JSON.stringify(frame),
        onSent: receiptOf(deps, connection, conversationId, frame),
      });
    }
    await connection.sendReplayed(frames);
    lastRev = last.revision;
    onPage(lastRev);
    if (events.length < REPLAY_PAGE) return lastRev;
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

/** What tells the sender once a replayed new message reached this connection. */
function receiptOf(
  deps: SyncDeps,
  connection: Connection,
  conversationId: string,
  frame: { type: string; data: Record<string, unknown> },
): (() => void) | undefined {
  const delivered = deps.onMessageDelivered;
  const message = frame.data.message as { seq: number; senderId: string } | undefined;
  if (!delivered || frame.type !== 'message.create' || !message) return undefined;
  return () => delivered(connection, { conversationId, seq: message.seq, senderId: message.senderId });
}
