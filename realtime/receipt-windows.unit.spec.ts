import { describe, expect, it } from 'vitest';
import { ReceiptWindows } from './receipt-windows.js';

const WINDOW_MS = 500;
const [conversationA, conversationB] = ['conversation-a', 'conversation-b'];
const [bob, carol] = ['bob', 'carol'];

describe('ReceiptWindows', () => {
  it('keeps a receipt until its window closes, then hands it out once', () => {
    const windows = new ReceiptWindows(WINDOW_MS);
    windows.add(conversationA, bob, 3, 'alice', 1_000);

    expect(windows.takeDue(1_499)).toEqual([]);
    expect(windows.takeDue(1_500)).toEqual([
      { conversationId: conversationA, userId: bob, seq: 3, senderIds: ['alice'] },
    ]);
    expect(windows.takeDue(9_999)).toEqual([]);
    expect(windows.size).toBe(0);
  });

  it('coalesces a recipient’s deliveries in one conversation into the highest seq, for every sender', () => {
    const windows = new ReceiptWindows(WINDOW_MS);
    windows.add(conversationA, bob, 4, 'alice', 0);
    windows.add(conversationA, bob, 2, 'dave', 100);
    windows.add(conversationA, bob, 7, 'alice', 400);

    expect(windows.takeDue(WINDOW_MS)).toEqual([
      { conversationId: conversationA, userId: bob, seq: 7, senderIds: ['alice', 'dave'] },
    ]);
  });

  it('gives each conversation its own window, so receipts fall due spread out', () => {
    const windows = new ReceiptWindows(WINDOW_MS);
    windows.add(conversationA, bob, 1, 'alice', 0);
    windows.add(conversationA, carol, 2, 'alice', 100);
    windows.add(conversationB, bob, 5, 'alice', 200);

    expect(
      windows.takeDue(650).map((receipt) => [receipt.conversationId, receipt.userId, receipt.seq]),
    ).toEqual([
      [conversationA, bob, 1],
      [conversationA, carol, 2],
    ]);
    expect(windows.size).toBe(1);
    expect(windows.takeDue(699)).toEqual([]);
    expect(
      windows.takeDue(700).map((receipt) => [receipt.conversationId, receipt.userId, receipt.seq]),
    ).toEqual([[conversationB, bob, 5]]);
  });

  it('opens a new window for deliveries after a receipt left', () => {
    const windows = new ReceiptWindows(WINDOW_MS);
    windows.add(conversationA, bob, 1, 'alice', 0);
    expect(windows.takeDue(500)).toHaveLength(1);

    windows.add(conversationA, bob, 2, 'alice', 501);
    expect(windows.takeDue(1_000)).toEqual([]);
    expect(windows.takeDue(1_001)).toEqual([
      { conversationId: conversationA, userId: bob, seq: 2, senderIds: ['alice'] },
    ]);
  });
});
