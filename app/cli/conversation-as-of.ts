import { decodeRecorded } from '../../commands/shared/event-codec.js';
import type { ConversationEvent } from '../../domain/conversation/conversation.events.js';
import {
  evolve,
  initialState,
  type ConversationState,
} from '../../domain/conversation/conversation.state.js';
import type { RecordedEvent } from '../../infra/eventstore/event-store.js';

export interface MessageAsOf {
  id: string;
  seq: number;
  senderId: string;
  /** null once deleted. */
  body: string | null;
  attachments: string[];
  replyTo: string | null;
  sentAt: string;
  editedAt: string | null;
  deleted: boolean;
  reactions: Record<string, string[]>;
}

export interface ConversationAsOf {
  id: string;
  /** The revision of the newest event folded in. */
  rev: number;
  kind: 'direct' | 'group';
  title: string | null;
  createdAt: string;
  members: { userId: string; role: string; joinedAt: string }[];
  messages: MessageAsOf[];
}

/** What the decision state drops (bodies are kept only as fingerprints there), rebuilt from the events. */
interface MessageText {
  body: string;
  attachments: string[];
  replyTo: string | null;
  sentAt: string;
  editedAt: string | null;
}

function rememberText(texts: Map<string, MessageText>, event: ConversationEvent): void {
  if (event.type === 'MessageSent') {
    const { messageId, body, attachments, replyTo, sentAt } = event.data;
    texts.set(messageId, { body, attachments, replyTo, sentAt, editedAt: null });
  } else if (event.type === 'MessageEdited') {
    const text = texts.get(event.data.messageId);
    if (text) Object.assign(text, { body: event.data.body, editedAt: event.data.editedAt });
  }
}

/**
 * A conversation as it stood after `events` (its stream's events, oldest first,
 * already cut at the time asked for): the domain's own `evolve` decides members,
 * title, deletions and reactions, so this view cannot disagree with the rules.
 * Returns undefined when the events do not create a conversation.
 */
export function foldConversation(id: string, events: readonly RecordedEvent[]): ConversationAsOf | undefined {
  let state: ConversationState = initialState();
  const texts = new Map<string, MessageText>();
  for (const recorded of events) {
    const event = decodeRecorded<ConversationEvent>(recorded);
    state = evolve(state, event);
    rememberText(texts, event);
  }
  if (!state.exists) return undefined;
  const messages = [...state.messages].map(([messageId, record]): MessageAsOf => {
    const text = texts.get(messageId);
    const reactions: Record<string, string[]> = {};
    for (const key of record.reactions ?? []) {
      const [emoji = '', userId = ''] = key.split('\u0000');
      (reactions[emoji] ??= []).push(userId);
    }
    return {
      id: messageId,
      seq: record.seq,
      senderId: record.senderId,
      body: record.deleted ? null : (text?.body ?? null),
      attachments: record.deleted ? [] : (text?.attachments ?? []),
      replyTo: text?.replyTo ?? null,
      sentAt: text?.sentAt ?? '',
      editedAt: text?.editedAt ?? null,
      deleted: record.deleted,
      reactions,
    };
  });
  return {
    id,
    rev: events.at(-1)?.revision ?? -1,
    kind: state.kind,
    title: state.title,
    createdAt: state.createdAt,
    members: [...state.members].map(([userId, member]) => ({ userId, ...member })),
    messages: messages.sort((a, b) => a.seq - b.seq),
  };
}
