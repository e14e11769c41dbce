/**
 * A small chat history with chosen times, appended straight to the event store,
 * and the analytics figures it must give, worked out by hand below.
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../../domain/events.registry.js';
import type { EventStore } from '../../../infra/eventstore/event-store.js';
import {
  conversationCreated,
  conversationStream,
  messageDeleted,
  messageEdited,
  messageSent,
} from '../../../projections/testing/chat-events.js';
import { appendDomainEvents } from '../../../projections/testing/domain-events.js';
import type { AnalyticsDay } from '../../../readmodels/analytics/analytics.query.js';

export interface AnalyticsHistory {
  conversations: { first: string; second: string; third: string; fourth: string };
  /** What `GET /v1/admin/analytics?from=2025-01-09&to=2025-01-13` must answer. */
  expectedDays: AnalyticsDay[];
}

export const HISTORY_RANGE = { from: '2025-01-09', to: '2025-01-13' } as const;

/**
 * ann, ben and cat talk in four conversations over 2025-01-10, -11 and -13.
 * A "wait" is a run of one sender's messages until someone else's message answers
 * it, counted on the day the run started.
 *
 * 2025-01-10
 *   first  (ann, ben): 1 ann 09:00:00, 2 ann 09:02:00, 3 ben 09:10:00 → ann's run waited 600 s;
 *                      4 ann 09:10:30 → ben's 30 s; 5 ben 09:11:30 → ann's 60 s; ben's last run is never answered
 *   second (cat, ben): 1 cat 12:00:00, 2 ben 12:01:00 → 60 s; 3 cat 23:59:00 → ben's run waited 43,080 s
 *   → 8 messages; senders ann, ben, cat = 3;
 *     waits 600, 30, 60, 60, 43080 and 120 (below): 30 60 [60 120] 600 43080 → median 90
 * 2025-01-11
 *   second: 4 ben 00:01:00 → cat's run of 01-10 23:59:00 waited 120 s, counted on 01-10
 *   third  (cat, ann): 1 cat 10:00:00, 2 cat 10:00:10, 3 ann 10:05:00 → 300 s (from the run's first message);
 *                      4 cat 10:05:45 → 45 s; 5 cat 10:06:00 (continues cat's run)
 *   → 6 messages; senders ben, cat, ann = 3; waits 300, 45 → median 172.5
 * 2025-01-12: nothing → 0, 0, null
 * 2025-01-13
 *   fourth (ann, ben): 1 ann 08:00:00, then edited and deleted: still one message sent
 *   → 1 message; 1 sender; no answer → null
 */
export async function appendAnalyticsHistory(eventStore: EventStore): Promise<AnalyticsHistory> {
  const [ann, ben, cat] = [randomUUID(), randomUUID(), randomUUID()];
  const conversations = {
    first: randomUUID(),
    second: randomUUID(),
    third: randomUUID(),
    fourth: randomUUID(),
  };
  const at = (time: string) => `2025-01-${time}Z`;
  const created = (conversationId: string, owner: string, other: string, time: string) =>
    conversationCreated({ conversationId, owner, others: [other], at: at(time) });
  const sent = (seq: number, senderId: string, time: string) =>
    messageSent({ seq, senderId, sentAt: at(time) });

  const fourthMessage = sent(1, ann, '13T08:00:00.000');
  const streams: [string, DomainEvent[]][] = [
    [
      conversations.first,
      [
        created(conversations.first, ann, ben, '10T08:59:00.000'),
        sent(1, ann, '10T09:00:00.000'),
        sent(2, ann, '10T09:02:00.000'),
        sent(3, ben, '10T09:10:00.000'),
        sent(4, ann, '10T09:10:30.000'),
        sent(5, ben, '10T09:11:30.000'),
      ],
    ],
    [
      conversations.second,
      [
        created(conversations.second, cat, ben, '10T11:00:00.000'),
        sent(1, cat, '10T12:00:00.000'),
        sent(2, ben, '10T12:01:00.000'),
        sent(3, cat, '10T23:59:00.000'),
        sent(4, ben, '11T00:01:00.000'),
      ],
    ],
    [
      conversations.third,
      [
        created(conversations.third, cat, ann, '11T09:00:00.000'),
        sent(1, cat, '11T10:00:00.000'),
        sent(2, cat, '11T10:00:10.000'),
        sent(3, ann, '11T10:05:00.000'),
        sent(4, cat, '11T10:05:45.000'),
        sent(5, cat, '11T10:06:00.000'),
      ],
    ],
    [
      conversations.fourth,
      [
        created(conversations.fourth, ann, ben, '13T07:00:00.000'),
        fourthMessage,
        messageEdited(fourthMessage, 'second thoughts', at('13T08:01:00.000')),
        messageDeleted(fourthMessage, ann, at('13T08:02:00.000')),
      ],
    ],
  ];
  for (const [conversationId, events] of streams)
    await appendDomainEvents(eventStore, conversationStream(conversationId), events);

  return {
    conversations,
    expectedDays: [
      { date: '2025-01-09', messages: 0, activeSenders: 0, medianFirstReplySeconds: null },
      { date: '2025-01-10', messages: 8, activeSenders: 3, medianFirstReplySeconds: 90 },
      { date: '2025-01-11', messages: 6, activeSenders: 3, medianFirstReplySeconds: 172.5 },
      { date: '2025-01-12', messages: 0, activeSenders: 0, medianFirstReplySeconds: null },
      { date: '2025-01-13', messages: 1, activeSenders: 1, medianFirstReplySeconds: null },
    ],
  };
}
