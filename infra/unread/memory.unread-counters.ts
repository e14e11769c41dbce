import { unreadCountOf, type UnreadChange, type UnreadCounters } from './unread-counters.js';

interface ConversationCounters {
  /** The last revision applied per stream (-1: none yet). */
  conversationRev: number;
  receiptsRev: number;
  lastSeq: number;
  /** userId → read seq, for current members only. */
  readSeqs: Map<string, number>;
}

/**
 * One process's counters, for embedded mode. The same rules as the Redis engine's
 * script (`redis.unread-counters.ts`); each change applies synchronously, so it is
 * atomic with respect to readers.
 */
export function createMemoryUnreadCounters(): UnreadCounters {
  const conversations = new Map<string, ConversationCounters>();
  let checkpoint = 0n;

  function countersOf(conversationId: string): ConversationCounters {
    let counters = conversations.get(conversationId);
    if (!counters) {
      counters = { conversationRev: -1, receiptsRev: -1, lastSeq: 0, readSeqs: new Map() };
      conversations.set(conversationId, counters);
    }
    return counters;
  }

  function applyChange(change: UnreadChange): void {
    const counters = countersOf(change.conversationId);
    const guard = change.stream === 'conversation' ? 'conversationRev' : 'receiptsRev';
    if (change.revision <= counters[guard]) return;
    counters[guard] = change.revision;
    if (change.created) counters.lastSeq = 0;
    if (change.lastSeq !== undefined) counters.lastSeq = Math.max(counters.lastSeq, change.lastSeq);
    for (const userId of change.joined ?? []) counters.readSeqs.set(userId, 0);
    for (const userId of change.left ?? []) counters.readSeqs.delete(userId);
    if (change.read) {
      const current = counters.readSeqs.get(change.read.userId);
      if (current !== undefined && change.read.seq > current)
        counters.readSeqs.set(change.read.userId, change.read.seq);
    }
  }

  return {
    engine: 'memory',
    async apply(changes, position) {
      for (const change of changes) applyChange(change);
      if (position > checkpoint) checkpoint = position;
    },
    async readState(userId, conversationId) {
      const counters = conversations.get(conversationId);
      const readSeq = counters?.readSeqs.get(userId);
      if (!counters || readSeq === undefined) return null;
      return { lastSeq: counters.lastSeq, readSeq, unreadCount: unreadCountOf(counters.lastSeq, readSeq) };
    },
    async checkpoint() {
      return checkpoint;
    },
    async clear() {
      conversations.clear();
      checkpoint = 0n;
    },
    async close() {
      conversations.clear();
    },
  };
}
