import { v5 as uuidv5 } from 'uuid';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.js';
import {
  conversationDecider,
  type ConversationContext,
} from '../../domain/conversation/conversation.decider.js';
import type { ConversationCommand } from '../../domain/conversation/conversation.commands.js';
import type { ConversationEvent, ConversationKind } from '../../domain/conversation/conversation.events.js';
import type { ConversationLimits } from '../../domain/conversation/conversation.limits.js';
import {
  conversationStateEntries,
  evolveWithUndo,
  type ConversationState,
} from '../../domain/conversation/conversation.state.js';
import { findSentMessage } from '../../domain/conversation/send-message.js';
import {
  evolveReceiptsWithUndo,
  initialReceiptsState,
  markRead,
  receiptsStateEntries,
  type ReceiptsState,
} from '../../domain/receipts/receipts.decider.js';
import { receiptsStream, type ReceiptsEvent } from '../../domain/receipts/receipts.events.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import { decodeRecorded, encodeEvent, metadataOf, type CommandMetadata } from '../shared/event-codec.js';
import { StreamProcessor, type Commit } from '../shared/stream-processor.js';

/** Which of these user ids belong to registered users. */
export interface UserDirectory {
  existingUserIds(userIds: readonly string[]): Promise<Set<string>>;
}

export interface ConversationCommandsDeps {
  eventStore: EventStore;
  users: UserDirectory;
  clock: () => Date;
  newId: () => string;
  limits?: Partial<ConversationLimits>;
  /** Entries each decision-state cache may hold (see `StreamProcessorOptions.cacheEntries`). */
  cacheEntries?: number;
}

export const conversationStream = (conversationId: string) => `conversation-${conversationId}`;

/** Direct conversations are unique per pair: the id is derived from the two user ids. */
const DIRECT_NAMESPACE = '6f1c7a52-5e0e-4f3b-9d4f-2b8c1a7e9d30';
export function directConversationId(a: string, b: string): string {
  const [first, second] = [a.toLowerCase(), b.toLowerCase()].sort();
  return uuidv5(`direct:${first}:${second}`, DIRECT_NAMESPACE);
}

export interface Written {
  /** Global position to wait for before reading the read models. */
  position: bigint;
}

/**
 * The conversation commands: each decides against the cached state of its stream
 * and appends with an expected revision (see `StreamProcessor`); answers carry the
 * position so callers can wait for the read models before they reply.
 */
export class ConversationCommands {
  private readonly conversations: StreamProcessor<ConversationState, ConversationEvent>;
  private readonly receipts: StreamProcessor<ReceiptsState, ReceiptsEvent>;

  constructor(private readonly deps: ConversationCommandsDeps) {
    const encode = encodeEvent(deps.newId);
    this.conversations = new StreamProcessor<ConversationState, ConversationEvent>({
      eventStore: deps.eventStore,
      initialState: () => conversationDecider.initialState(),
      evolveWithUndo,
      decode: decodeRecorded<ConversationEvent>,
      encode,
      weigh: conversationStateEntries,
      cacheEntries: deps.cacheEntries,
    });
    this.receipts = new StreamProcessor<ReceiptsState, ReceiptsEvent>({
      eventStore: deps.eventStore,
      initialState: initialReceiptsState,
      evolveWithUndo: evolveReceiptsWithUndo,
      decode: decodeRecorded<ReceiptsEvent>,
      encode,
      weigh: receiptsStateEntries,
      cacheEntries: deps.cacheEntries,
    });
  }

  async createConversation(
    input: { kind: ConversationKind; memberIds: readonly string[]; title?: string | null },
    meta: CommandMetadata,
  ): Promise<Written & { conversationId: string; created: boolean }> {
    const others = [...new Set(input.memberIds)].filter((userId) => userId !== meta.actorId);
    const known = await this.deps.users.existingUserIds(others);
    const unknown = others.filter((userId) => !known.has(userId));
    if (unknown.length > 0) throw new ValidationError(`unknown users: ${unknown.join(', ')}`, 'memberIds');

    const isDirect = input.kind === 'direct' && others.length === 1;
    const conversationId = isDirect ? directConversationId(meta.actorId, others[0]!) : this.deps.newId();
    const command: ConversationCommand = {
      type: 'CreateConversation',
      data: {
        actorId: meta.actorId,
        conversationId,
        kind: input.kind,
        memberIds: others,
        title: input.title ?? null,
      },
    };
    try {
      const written = await this.run(conversationId, command, meta, (commit) => commit.position);
      return { conversationId, created: true, position: written };
    } catch (error) {
      // The same pair asking again (or both at the same instant): answer with the existing one.
      if (!(isDirect && error instanceof ConflictError)) throw error;
      const isMember = await this.conversations.read(conversationStream(conversationId), (state) =>
        state.exists ? state.members.has(meta.actorId) : false,
      );
      if (!isMember) throw error;
      // The other request may still be waiting for the read models: wait for the same creation.
      const [creation] = await this.deps.eventStore.readStream(conversationStream(conversationId), {
        fromRevision: 0,
        maxCount: 1,
      });
      return { conversationId, created: false, position: creation?.position ?? 0n };
    }
  }

  async sendMessage(
    conversationId: string,
    input: { clientMsgId: string; body: string; attachments?: readonly string[]; replyTo?: string | null },
    meta: CommandMetadata,
  ): Promise<Written & { messageId: string; seq: number; duplicate: boolean }> {
    const messageId = this.deps.newId();
    const command: ConversationCommand = {
      type: 'SendMessage',
      data: {
        actorId: meta.actorId,
        messageId,
        clientMsgId: input.clientMsgId,
        body: input.body,
        attachments: input.attachments ?? [],
        replyTo: input.replyTo ?? null,
      },
    };
    type Sent = Written & { messageId: string; seq: number; duplicate: boolean };
    return this.conversations.execute<Sent>(
      conversationStream(conversationId),
      (state) => {
        const events = conversationDecider.decide(command, state, this.context());
        const sent = events.find((event) => event.type === 'MessageSent');
        if (sent) return { events, answer: answerSent(messageId, sent.data.seq) };
        // A retry: the decider wrote nothing, the original answers.
        const original = findSentMessage(state, input.clientMsgId);
        if (!original) throw new ConflictError('the message could not be sent');
        // A retry's original may not be projected yet (its answer was lost, the server
        // restarted): the caller waits for the stream as this decision saw it, which holds it.
        return {
          events: [],
          answer: (commit: Commit) => ({ ...original, duplicate: true, position: commit.streamPosition }),
        };
      },
      metadataOf(meta),
    );
  }

  editMessage(
    conversationId: string,
    messageId: string,
    body: string,
    meta: CommandMetadata,
  ): Promise<Written> {
    return this.write(
      conversationId,
      { type: 'EditMessage', data: { actorId: meta.actorId, messageId, body } },
      meta,
    );
  }

  deleteMessage(conversationId: string, messageId: string, meta: CommandMetadata): Promise<Written> {
    return this.write(
      conversationId,
      { type: 'DeleteMessage', data: { actorId: meta.actorId, messageId } },
      meta,
    );
  }

  react(conversationId: string, messageId: string, emoji: string, add: boolean, meta: CommandMetadata) {
    return this.write(
      conversationId,
      { type: add ? 'AddReaction' : 'RemoveReaction', data: { actorId: meta.actorId, messageId, emoji } },
      meta,
    );
  }

  rename(conversationId: string, title: string | null, meta: CommandMetadata): Promise<Written> {
    return this.write(
      conversationId,
      { type: 'RenameConversation', data: { actorId: meta.actorId, title } },
      meta,
    );
  }

  async addMembers(
    conversationId: string,
    userIds: readonly string[],
    meta: CommandMetadata,
  ): Promise<Written> {
    const known = await this.deps.users.existingUserIds(userIds);
    const unknown = userIds.filter((userId) => !known.has(userId));
    if (unknown.length > 0) throw new ValidationError(`unknown users: ${unknown.join(', ')}`, 'userIds');
    return this.write(conversationId, { type: 'AddMembers', data: { actorId: meta.actorId, userIds } }, meta);
  }

  removeMember(conversationId: string, userId: string, meta: CommandMetadata): Promise<Written> {
    return this.write(
      conversationId,
      { type: 'RemoveMember', data: { actorId: meta.actorId, userId } },
      meta,
    );
  }

  /**
   * Moves the caller's read marker (receipts stream). Membership and the last seq
   * come from the conversation's committed state.
   */
  async markRead(conversationId: string, seq: number, meta: CommandMetadata): Promise<Written> {
    const { lastSeq, memberSince } = await this.conversations.read(
      conversationStream(conversationId),
      (state) => {
        const member = state.exists ? state.members.get(meta.actorId) : undefined;
        if (!state.exists || !member) throw new NotFoundError('conversation not found');
        return { lastSeq: state.lastSeq, memberSince: member.joinedAt };
      },
    );
    const now = this.deps.clock();
    return this.receipts.execute(
      receiptsStream(conversationId),
      (state) => ({
        events: markRead({ conversationId, userId: meta.actorId, seq, memberSince }, state, lastSeq, now),
        answer: (commit: Commit) => ({ position: commit.position }),
      }),
      metadataOf(meta),
    );
  }

  private write(
    conversationId: string,
    command: ConversationCommand,
    meta: CommandMetadata,
  ): Promise<Written> {
    return this.run(conversationId, command, meta, (commit) => commit.position).then((position) => ({
      position,
    }));
  }

  private run<Result>(
    conversationId: string,
    command: ConversationCommand,
    meta: CommandMetadata,
    answer: (commit: Commit) => Result,
  ): Promise<Result> {
    return this.conversations.execute(
      conversationStream(conversationId),
      (state) => ({ events: conversationDecider.decide(command, state, this.context()), answer }),
      metadataOf(meta),
    );
  }

  private context(): ConversationContext {
    return { now: this.deps.clock(), limits: this.deps.limits };
  }
}

/**
 * A new message's answer. Made here rather than inline: tsx keeps function names,
 * which costs a property definition for every inline `answer:` made, once a message.
 */
function answerSent(messageId: string, seq: number) {
  return (commit: Commit) => ({ messageId, seq, duplicate: false, position: commit.position });
}
