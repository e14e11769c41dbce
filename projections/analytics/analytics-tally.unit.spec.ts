import { describe, expect, it } from 'vitest';
import { tallyMessages, type ReplyWait, type SentMessage } from './analytics-tally.js';

const talk = '00000000-0000-4000-8000-000000000001';
const other = '00000000-0000-4000-8000-000000000002';
const ann = '00000000-0000-4000-8000-0000000000a1';
const ben = '00000000-0000-4000-8000-0000000000b1';
const cat = '00000000-0000-4000-8000-0000000000c1';

function sent(conversationId: string, seq: number, senderId: string, at: string): SentMessage {
  return { conversationId, seq, senderId, sentAt: new Date(at) };
}

describe('the analytics tally', () => {
  it('counts messages per conversation and day, and each sender once a day', () => {
    const tally = tallyMessages(
      [
        sent(talk, 1, ann, '2025-03-01T10:00:00Z'),
        sent(talk, 2, ann, '2025-03-01T11:00:00Z'),
        sent(other, 1, ann, '2025-03-01T12:00:00Z'),
        sent(talk, 3, ben, '2025-03-02T00:00:00Z'),
      ],
      new Map(),
    );
    expect(tally.messages).toEqual([
      { day: '2025-03-01', conversationId: talk, count: 2 },
      { day: '2025-03-01', conversationId: other, count: 1 },
      { day: '2025-03-02', conversationId: talk, count: 1 },
    ]);
    expect(tally.senders).toEqual([
      { day: '2025-03-01', senderId: ann },
      { day: '2025-03-02', senderId: ben },
    ]);
  });

  it('measures a run of messages from its first one to the first answer by someone else', () => {
    const tally = tallyMessages(
      [
        sent(talk, 1, ann, '2025-03-01T10:00:00Z'),
        sent(talk, 2, ann, '2025-03-01T10:05:00Z'),
        sent(talk, 3, ben, '2025-03-01T10:10:00Z'), // answers ann's run: 600 s
        sent(talk, 4, cat, '2025-03-01T10:10:30Z'), // answers ben's run: 30 s
      ],
      new Map(),
    );
    expect(tally.firstReplies).toEqual([
      { day: '2025-03-01', conversationId: talk, seconds: 600 },
      { day: '2025-03-01', conversationId: talk, seconds: 30 },
    ]);
    expect(tally.waits.get(talk)).toEqual({
      lastSeq: 4,
      senderId: cat,
      since: new Date('2025-03-01T10:10:30Z'),
    });
  });

  it('counts a wait on the day the run started, and continues a stored run', () => {
    const stored: ReplyWait = { lastSeq: 7, senderId: ann, since: new Date('2025-03-01T23:59:00Z') };
    const tally = tallyMessages([sent(talk, 8, ben, '2025-03-02T00:01:00Z')], new Map([[talk, stored]]));
    expect(tally.firstReplies).toEqual([{ day: '2025-03-01', conversationId: talk, seconds: 120 }]);
  });

  it('counts a message replayed out of order but leaves the runs alone', () => {
    const stored: ReplyWait = { lastSeq: 7, senderId: ann, since: new Date('2025-03-01T10:00:00Z') };
    const tally = tallyMessages([sent(talk, 5, ben, '2025-03-01T09:00:00Z')], new Map([[talk, stored]]));
    expect(tally.messages).toEqual([{ day: '2025-03-01', conversationId: talk, count: 1 }]);
    expect(tally.firstReplies).toEqual([]);
    expect(tally.waits.size).toBe(0);
  });

  it('never records a negative wait when clocks disagree', () => {
    const tally = tallyMessages(
      [sent(talk, 1, ann, '2025-03-01T10:00:01Z'), sent(talk, 2, ben, '2025-03-01T10:00:00Z')],
      new Map(),
    );
    expect(tally.firstReplies).toEqual([{ day: '2025-03-01', conversationId: talk, seconds: 0 }]);
  });
});
