import {
  ConnectionLostError,
  type ConversationDetail,
  type Conversation,
  type Me,
  type Message,
  type RealtimeClient,
  type RestClient,
  type ServerFrame,
} from '../protocol';
import { emptyState, withMessage, type ChatState, type PendingMessage } from './chat-state';

const TYPING_LAPSE_MS = 7000;
const PAGE_SIZE = 50;

export interface Outgoing {
  body: string;
  attachments: { key: string; filename: string }[];
  replyTo: string | null;
}

/**
 * The app's state and every action on it. Durable changes come from the
 * server's frames (the same whether live or replayed by `sync`); REST fills
 * pages and the conversation list. Screens subscribe and redraw on a change.
 */
export class ChatStore {
  state: ChatState;
  private readonly listeners = new Set<() => void>();
  private readonly askedUsers = new Set<string>();
  private readonly disposers: (() => void)[] = [];
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  private connectedBefore = false;

  constructor(
    readonly rest: RestClient,
    readonly realtime: RealtimeClient,
    me: Me,
    /** Whether the person is looking (tab visible): only then does an open conversation count as read. */
    private readonly isLooking: () => boolean = () => true,
  ) {
    this.state = emptyState(me);
    this.disposers.push(
      realtime.onFrame((frame) => this.apply(frame)),
      realtime.onStatus((status) => {
        this.update({ connection: status });
        if (status !== 'open') return;
        this.watchPresence();
        this.markReadSoon();
        // `sync` resumes the conversations the client knows; ones it joined while away come from the list.
        if (this.connectedBefore) this.findNewConversations().catch(() => undefined);
        this.connectedBefore = true;
      }),
    );
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    const conversations = new Map<string, Conversation>();
    for (const conversation of await this.listAllConversations()) {
      conversations.set(conversation.id, conversation);
      this.realtime.setCursor(conversation.id, conversation.lastRev);
    }
    this.update({ conversations });
    for (const conversation of conversations.values()) this.learnMembers(conversation);
    this.realtime.start();
  }

  private async listAllConversations(): Promise<Conversation[]> {
    const all: Conversation[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.rest.listConversations(cursor);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  private async findNewConversations(): Promise<void> {
    for (const conversation of await this.listAllConversations()) {
      if (this.state.conversations.has(conversation.id)) continue;
      this.realtime.setCursor(conversation.id, conversation.lastRev);
      this.upsertConversation(conversation);
    }
  }

  stop(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
    this.realtime.stop();
  }

  async open(conversationId: string | null): Promise<void> {
    this.update({ activeId: conversationId });
    if (!conversationId) return;
    const known = this.state.messages.get(conversationId);
    // The page exists before the request goes out, so a frame arriving meanwhile is kept and merged.
    if (!known)
      this.setPage(conversationId, { items: [], hasMore: false, loadingOlder: false, loaded: false });
    const [detail, page] = await Promise.all([
      this.rest.getConversation(conversationId),
      known?.loaded ? null : this.rest.listMessages(conversationId, { limit: PAGE_SIZE }),
    ]);
    this.takeDetail(detail);
    if (page) {
      const current = this.state.messages.get(conversationId)?.items ?? [];
      const items = page.items.reduce(withMessage, current);
      this.setPage(conversationId, { items, hasMore: page.hasMore, loadingOlder: false, loaded: true });
    }
    this.markReadSoon();
  }

  async loadOlder(conversationId: string): Promise<void> {
    const page = this.state.messages.get(conversationId);
    if (!page || !page.hasMore || page.loadingOlder) return;
    this.setPage(conversationId, { ...page, loadingOlder: true });
    const beforeSeq = page.items[0]?.seq;
    try {
      const older = await this.rest.listMessages(conversationId, { beforeSeq, limit: PAGE_SIZE });
      const now = this.state.messages.get(conversationId)!;
      this.setPage(conversationId, {
        ...now,
        items: older.items.reduce(withMessage, now.items),
        hasMore: older.hasMore,
        loadingOlder: false,
      });
    } catch (error) {
      this.setPage(conversationId, { ...this.state.messages.get(conversationId)!, loadingOlder: false });
      throw error;
    }
  }

  /** Shows the message at once, then sends it over the socket until acked (same clientMsgId every time). */
  send(conversationId: string, outgoing: Outgoing): void {
    const pending: PendingMessage = {
      clientMsgId: crypto.randomUUID(),
      conversationId,
      body: outgoing.body,
      attachmentNames: outgoing.attachments.map((attachment) => attachment.filename),
      replyTo: outgoing.replyTo,
      createdAt: new Date().toISOString(),
      status: 'sending',
    };
    this.setPending(conversationId, [...(this.state.pending.get(conversationId) ?? []), pending]);
    this.realtime.notify('typing.stop', { conversationId });
    this.realtime
      .sendMessage({
        conversationId,
        clientMsgId: pending.clientMsgId,
        body: outgoing.body,
        ...(outgoing.attachments.length ? { attachments: outgoing.attachments.map((a) => a.key) } : {}),
        ...(outgoing.replyTo ? { replyTo: outgoing.replyTo } : {}),
      })
      .catch((error: unknown) => {
        const list = this.state.pending.get(conversationId) ?? [];
        const message = error instanceof Error ? error.message : String(error);
        this.setPending(
          conversationId,
          list.map((item) =>
            item.clientMsgId === pending.clientMsgId ? { ...item, status: 'failed', error: message } : item,
          ),
        );
      });
  }

  discardPending(conversationId: string, clientMsgId: string): void {
    const list = this.state.pending.get(conversationId) ?? [];
    this.setPending(
      conversationId,
      list.filter((item) => item.clientMsgId !== clientMsgId),
    );
  }

  edit = (message: Message, body: string) => this.rest.editMessage(message.conversationId, message.id, body);
  remove = (message: Message) => this.rest.deleteMessage(message.conversationId, message.id);
  react = (message: Message, emoji: string) =>
    this.rest.setReaction(
      message.conversationId,
      message.id,
      emoji,
      !(message.reactions[emoji] ?? []).includes(this.state.me.id),
    );

  typing(conversationId: string, typing: boolean): void {
    this.realtime.notify(typing ? 'typing.start' : 'typing.stop', { conversationId });
  }

  async startConversation(memberIds: string[], title?: string): Promise<string> {
    const kind = memberIds.length === 1 && !title ? 'direct' : 'group';
    const conversation = await this.rest.createConversation({ kind, memberIds, ...(title ? { title } : {}) });
    this.upsertConversation(conversation);
    this.realtime.setCursor(conversation.id, conversation.lastRev);
    return conversation.id;
  }

  /** A user's profile from the cache, fetched once when unknown. */
  userName(userId: string): string {
    const user = this.state.users.get(userId);
    if (user) return user.displayName;
    if (!this.askedUsers.has(userId)) {
      this.askedUsers.add(userId);
      this.rest.getUser(userId).then(
        (fetched) => this.update({ users: new Map(this.state.users).set(fetched.id, fetched) }),
        () => undefined,
      );
    }
    return '…';
  }

  /** Marks the open conversation read up to its last message, when someone is looking at it. */
  markReadSoon(): void {
    if (this.readTimer) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      const id = this.state.activeId;
      const conversation = id ? this.state.conversations.get(id) : undefined;
      if (!conversation || !this.isLooking() || conversation.readSeq >= conversation.lastSeq) return;
      const seq = conversation.lastSeq;
      this.realtime
        .request<{ readSeq: number; unreadCount: number }>('message.read', {
          conversationId: conversation.id,
          seq,
        })
        .then(
          (answer) => this.setReadSeq(conversation.id, answer.readSeq),
          (error: unknown) => {
            // Offline: the next look after the reconnect marks it.
            if (!(error instanceof ConnectionLostError)) throw error;
          },
        )
        .catch(() => undefined);
    }, 150);
  }

  private apply(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message.create':
        this.messageCreated(frame.data.message);
        break;
      case 'message.update':
        this.messageChanged(frame.data.message);
        break;
      case 'message.delete': {
        const page = this.state.messages.get(frame.data.conversationId);
        const old = page?.items.find((message) => message.id === frame.data.messageId);
        if (old) this.messageChanged({ ...old, body: null, attachments: [], deleted: true });
        break;
      }
      case 'conversation.create':
      case 'conversation.update':
        this.upsertConversation(frame.data.conversation);
        break;
      case 'member.join':
      case 'member.leave':
        if (frame.type === 'member.leave' && frame.data.userId === this.state.me.id)
          this.forget(frame.data.conversationId);
        else void this.refreshConversation(frame.data.conversationId);
        break;
      case 'message.read':
        this.markerMoved(frame.data.conversationId, frame.data.userId, frame.data.seq);
        break;
      case 'typing.update':
        this.typingChanged(frame.data.conversationId, frame.data.userId, frame.data.typing);
        break;
      case 'presence.update':
        this.update({ presence: new Map(this.state.presence).set(frame.data.userId, frame.data) });
        break;
      default:
        break;
    }
  }

  private messageCreated(message: Message): void {
    const { conversationId } = message;
    const page = this.state.messages.get(conversationId);
    if (page) this.setPage(conversationId, { ...page, items: withMessage(page.items, message) });
    const pending = this.state.pending.get(conversationId);
    if (pending?.some((item) => item.clientMsgId === message.clientMsgId))
      this.setPending(
        conversationId,
        pending.filter((item) => item.clientMsgId !== message.clientMsgId),
      );
    this.typingChanged(conversationId, message.senderId, false);
    const conversation = this.state.conversations.get(conversationId);
    if (!conversation) {
      void this.refreshConversation(conversationId);
      return;
    }
    const lastSeq = Math.max(conversation.lastSeq, message.seq);
    const readSeq =
      message.senderId === this.state.me.id
        ? Math.max(conversation.readSeq, message.seq)
        : conversation.readSeq;
    const newer = !conversation.lastMessage || message.seq >= conversation.lastMessage.seq;
    this.upsertConversation({
      ...conversation,
      lastSeq,
      readSeq,
      unreadCount: lastSeq - readSeq,
      lastMessage: newer ? message : conversation.lastMessage,
    });
    if (conversationId === this.state.activeId) this.markReadSoon();
  }

  private messageChanged(message: Message): void {
    const page = this.state.messages.get(message.conversationId);
    if (page) this.setPage(message.conversationId, { ...page, items: withMessage(page.items, message) });
    const conversation = this.state.conversations.get(message.conversationId);
    if (conversation?.lastMessage?.id === message.id)
      this.upsertConversation({ ...conversation, lastMessage: message });
  }

  private markerMoved(conversationId: string, userId: string, seq: number): void {
    const markers = new Map(this.state.readMarkers.get(conversationId) ?? []);
    if ((markers.get(userId) ?? 0) >= seq) return;
    markers.set(userId, seq);
    this.update({ readMarkers: new Map(this.state.readMarkers).set(conversationId, markers) });
    if (userId === this.state.me.id) this.setReadSeq(conversationId, seq);
  }

  private setReadSeq(conversationId: string, seq: number): void {
    const conversation = this.state.conversations.get(conversationId);
    if (!conversation || conversation.readSeq >= seq) return;
    this.upsertConversation({
      ...conversation,
      readSeq: seq,
      unreadCount: Math.max(0, conversation.lastSeq - seq),
    });
  }

  private typingChanged(conversationId: string, userId: string, typing: boolean): void {
    if (userId === this.state.me.id) return;
    const current = this.state.typing.get(conversationId);
    if (!typing && !current?.has(userId)) return;
    const next = new Map(current ?? []);
    if (typing) {
      const until = Date.now() + TYPING_LAPSE_MS;
      next.set(userId, until);
      // The server says `typing:false` after 6 s; this covers a lost one.
      setTimeout(() => {
        if (this.state.typing.get(conversationId)?.get(userId) === until)
          this.typingChanged(conversationId, userId, false);
      }, TYPING_LAPSE_MS);
    } else next.delete(userId);
    this.update({ typing: new Map(this.state.typing).set(conversationId, next) });
  }

  private async refreshConversation(conversationId: string): Promise<void> {
    try {
      this.takeDetail(await this.rest.getConversation(conversationId));
    } catch {
      this.forget(conversationId);
    }
  }

  private takeDetail(detail: ConversationDetail): void {
    const { readMarkers, ...conversation } = detail;
    const known = this.state.conversations.get(conversation.id);
    // A frame may have moved past what this answer saw.
    const merged =
      known && known.lastSeq > conversation.lastSeq
        ? {
            ...conversation,
            lastSeq: known.lastSeq,
            lastMessage: known.lastMessage,
            unreadCount: known.unreadCount,
          }
        : conversation;
    this.upsertConversation(merged);
    const markers = new Map(this.state.readMarkers.get(conversation.id) ?? []);
    for (const marker of readMarkers)
      markers.set(marker.userId, Math.max(marker.seq, markers.get(marker.userId) ?? 0));
    this.update({ readMarkers: new Map(this.state.readMarkers).set(conversation.id, markers) });
  }

  private upsertConversation(conversation: Conversation): void {
    const known = this.state.conversations.get(conversation.id);
    this.update({ conversations: new Map(this.state.conversations).set(conversation.id, conversation) });
    if (!known) {
      this.learnMembers(conversation);
      this.watchPresence();
    }
  }

  private forget(conversationId: string): void {
    const conversations = new Map(this.state.conversations);
    conversations.delete(conversationId);
    this.update({
      conversations,
      activeId: this.state.activeId === conversationId ? null : this.state.activeId,
    });
  }

  private learnMembers(conversation: Conversation): void {
    for (const member of conversation.members) this.userName(member.userId);
  }

  /** Presence of everyone the user shares a conversation with (again after each reconnect). */
  private watchPresence(): void {
    if (this.state.connection !== 'open') return;
    const userIds = new Set<string>();
    for (const conversation of this.state.conversations.values())
      for (const member of conversation.members)
        if (member.userId !== this.state.me.id) userIds.add(member.userId);
    if (userIds.size === 0) return;
    this.realtime
      .request('presence.subscribe', { userIds: [...userIds].slice(0, 500) })
      .catch(() => undefined);
  }

  private setPage(
    conversationId: string,
    page: ChatState['messages'] extends Map<string, infer P> ? P : never,
  ) {
    this.update({ messages: new Map(this.state.messages).set(conversationId, page) });
  }

  private setPending(conversationId: string, list: PendingMessage[]) {
    this.update({ pending: new Map(this.state.pending).set(conversationId, list) });
  }

  private update(change: Partial<ChatState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }
}
