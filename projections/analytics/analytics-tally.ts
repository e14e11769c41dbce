/**
 * The arithmetic of the analytics projection, apart from any database: a batch of
 * sent messages and the waits they continue, in, the rows to write, out.
 *
 * **Time to first reply.** Consecutive messages of one sender in a conversation
 * form a *run*; the run waits for an answer from its first message on. The first
 * later message in that conversation by anyone else answers the run: its delay is
 * `answer.sentAt − run's first sentAt`, counted on the UTC day the run started
 * (the day the question was asked), and the answer starts the next run. So a burst
 * of five messages answered once is one wait, measured from where the asker
 * started waiting, not five; a run nobody answers yields nothing; in a group any
 * other member's message counts as the answer. A day's figure is the median of the
 * waits counted on it.
 */

/** One `MessageSent`, as the tally needs it. */
export interface SentMessage {
  conversationId: string;
  seq: number;
  senderId: string;
  sentAt: Date;
}

/** A conversation's run still waiting for an answer. */
export interface ReplyWait {
  /** The highest seq folded in so far. */
  lastSeq: number;
  senderId: string;
  since: Date;
}

export interface AnalyticsTally {
  /** Messages per `(day, conversationId)`. */
  messages: { day: string; conversationId: string; count: number }[];
  /** Distinct `(day, senderId)` pairs seen in the batch. */
  senders: { day: string; senderId: string }[];
  firstReplies: { day: string; conversationId: string; seconds: number }[];
  /** The waits of the conversations the batch touched, as they stand after it. */
  waits: Map<string, ReplyWait>;
}

/** The UTC calendar day of a time, `YYYY-MM-DD`. */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/**
 * Folds `messages` (in log order) over the waits stored before them. A message
 * whose seq is not past its conversation's `lastSeq` (a parked event replayed
 * late) still counts as sent, but leaves the runs alone: it cannot be placed.
 */
export function tallyMessages(
  messages: readonly SentMessage[],
  storedWaits: ReadonlyMap<string, ReplyWait>,
): AnalyticsTally {
  const counts = new Map<string, { day: string; conversationId: string; count: number }>();
  const senders = new Map<string, { day: string; senderId: string }>();
  const firstReplies: AnalyticsTally['firstReplies'] = [];
  const waits = new Map(storedWaits);
  const touched = new Set<string>();

  for (const message of messages) {
    const day = utcDay(message.sentAt);
    const countKey = `${day} ${message.conversationId}`;
    const count = counts.get(countKey) ?? { day, conversationId: message.conversationId, count: 0 };
    count.count += 1;
    counts.set(countKey, count);
    senders.set(`${day} ${message.senderId}`, { day, senderId: message.senderId });

    const wait = waits.get(message.conversationId);
    if (wait && message.seq <= wait.lastSeq) continue;
    touched.add(message.conversationId);
    if (wait && wait.senderId === message.senderId) {
      waits.set(message.conversationId, { ...wait, lastSeq: message.seq });
      continue;
    }
    if (wait) {
      // Clocks of several nodes may disagree by a little: a reply never waits less than nothing.
      const seconds = Math.max(0, (message.sentAt.getTime() - wait.since.getTime()) / 1000);
      firstReplies.push({ day: utcDay(wait.since), conversationId: message.conversationId, seconds });
    }
    waits.set(message.conversationId, {
      lastSeq: message.seq,
      senderId: message.senderId,
      since: message.sentAt,
    });
  }

  return {
    messages: [...counts.values()],
    senders: [...senders.values()],
    firstReplies,
    waits: new Map([...waits].filter(([conversationId]) => touched.has(conversationId))),
  };
}
