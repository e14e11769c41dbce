import { ApiError, ConnectionLostError } from './api-error';
import type { RawFrame, SendAck, ServerFrame } from './types';

/** The part of the WebSocket API the client needs (the browser's, or undici's in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

export interface RealtimeClientOptions {
  /** Parley's origin (http or https); the socket goes to `/v1/ws` there. */
  baseUrl: string;
  /** A valid access token (the REST client refreshes it), or null when signed out. */
  accessToken: () => Promise<string | null>;
  /** Renews the tokens after the server closed with 4401 (expired token). */
  renewTokens: () => Promise<unknown>;
  createSocket?: (url: string) => WebSocketLike;
  /** First reconnect delay, doubled on each failure up to `maxBackoffMs`, with jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A ping every this many ms; a ping unanswered by the next one means a dead link. */
  heartbeatMs?: number;
  random?: () => number;
}

export interface SendMessageInput {
  conversationId: string;
  clientMsgId: string;
  body: string;
  attachments?: string[];
  replyTo?: string;
}

interface PendingRequest {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  /** Set for `message.send`: its outbox entry survives the connection. */
  clientMsgId?: string;
}

interface OutboxEntry {
  input: SendMessageInput;
  resolve: (ack: SendAck) => void;
  reject: (error: Error) => void;
}

/** Errors worth sending the same message again for; the others are the message's own fault. */
const RETRYABLE = new Set(['rate_limited', 'unavailable', 'internal']);
const TOKEN_REFUSED = 4401;

/**
 * PROTOCOL.md's WebSocket, kept alive: reconnects with backoff, resumes every
 * conversation from its last `rev` with `sync`, drops duplicate stream frames
 * and syncs again on a gap, and keeps each `message.send` in an outbox that is
 * re-sent with the same `clientMsgId` on every connection until it is acked
 * (the server answers a retry with the original message).
 */
export class RealtimeClient {
  private socket: WebSocketLike | null = null;
  private currentStatus: ConnectionStatus = 'closed';
  private running = false;
  /** False while the device says it is offline: no attempt is made (each would only fail). */
  private networkUp = true;
  private failures = 0;
  private nextRequestId = 1;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private awaitingPong = false;
  private readonly cursors = new Map<string, number>();
  private readonly syncing = new Set<string>();
  private readonly requests = new Map<string, PendingRequest>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();

  constructor(private readonly options: RealtimeClientOptions) {}

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  /** Messages sent but not acknowledged yet. */
  get unacknowledged(): number {
    return this.outbox.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.clearTimers();
    this.abandonSocket();
    for (const entry of this.outbox.values()) entry.reject(new ConnectionLostError());
    this.outbox.clear();
  }

  /** Drops the current connection (a dead link); the next one starts after the backoff. */
  disconnect(): void {
    if (this.socket) this.abandonSocket();
  }

  /**
   * The device's network went away (drop the connection, stop trying) or came
   * back (connect at once instead of waiting out the backoff).
   */
  setNetworkAvailable(available: boolean): void {
    this.networkUp = available;
    if (!available) {
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.disconnect();
      return;
    }
    if (!this.running || this.socket || this.currentStatus === 'connecting') return;
    this.failures = 0;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    void this.connect();
  }

  onFrame(listener: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Where a conversation's stream was last seen; `sync` resumes after it. Only moves forward. */
  setCursor(conversationId: string, rev: number): void {
    const known = this.cursors.get(conversationId);
    if (known === undefined || rev > known) this.cursors.set(conversationId, rev);
  }

  cursorOf(conversationId: string): number | undefined {
    return this.cursors.get(conversationId);
  }

  /** Sends a message, now or on the next connection, until the server acks it. */
  sendMessage(input: SendMessageInput): Promise<SendAck> {
    return new Promise<SendAck>((resolve, reject) => {
      this.outbox.set(input.clientMsgId, { input, resolve, reject });
      if (this.currentStatus === 'open') this.transmit(input.clientMsgId);
    });
  }

  /** One request, one `ack` or `error`; fails with ConnectionLostError when the socket is not open or closes first. */
  request<T>(type: string, data: unknown): Promise<T> {
    if (this.currentStatus !== 'open' || !this.socket) return Promise.reject(new ConnectionLostError());
    const id = `r${this.nextRequestId++}`;
    const socket = this.socket;
    return new Promise<T>((resolve, reject) => {
      this.requests.set(id, { resolve: resolve as (data: unknown) => void, reject });
      socket.send(JSON.stringify({ type, id, data }));
    });
  }

  /** A frame nobody answers (typing); dropped while disconnected, as ephemeral signals are. */
  notify(type: string, data: unknown): void {
    if (this.currentStatus === 'open') this.socket?.send(JSON.stringify({ type, data }));
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = null;
    this.setStatus('connecting');
    let token: string | null;
    try {
      token = await this.options.accessToken();
    } catch {
      token = null;
    }
    if (!this.running || !this.networkUp) {
      this.setStatus('closed');
      return;
    }
    if (!token) {
      this.scheduleReconnect();
      return;
    }
    const url = new URL('/v1/ws', this.options.baseUrl.replace(/^http/, 'ws'));
    url.searchParams.set('access_token', token);
    const create = this.options.createSocket ?? ((target: string) => new WebSocket(target) as WebSocketLike);
    const socket = create(url.toString());
    this.socket = socket;
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (event) => this.received(event.data);
    socket.onclose = (event) => this.closed(socket, event.code);
    socket.onerror = () => undefined; // a close always follows
  }

  private opened(socket: WebSocketLike): void {
    if (socket !== this.socket) return;
    this.failures = 0;
    this.setStatus('open');
    this.startHeartbeat();
    if (this.cursors.size > 0) this.sync(Object.fromEntries(this.cursors));
    for (const clientMsgId of this.outbox.keys()) this.transmit(clientMsgId);
  }

  private sync(cursors: Record<string, number>): void {
    for (const conversationId of Object.keys(cursors)) this.syncing.add(conversationId);
    this.socket?.send(JSON.stringify({ type: 'sync', data: { cursors } }));
  }

  private transmit(clientMsgId: string): void {
    const entry = this.outbox.get(clientMsgId);
    if (!entry || !this.socket || this.currentStatus !== 'open') return;
    const id = `r${this.nextRequestId++}`;
    this.requests.set(id, {
      clientMsgId,
      resolve: (data) => {
        this.outbox.delete(clientMsgId);
        entry.resolve(data as SendAck);
      },
      reject: (error) => {
        if (error instanceof ApiError && RETRYABLE.has(error.code)) {
          // Tried again after a pause on this connection, or on the next one.
          setTimeout(() => this.transmit(clientMsgId), 1000);
          return;
        }
        if (error instanceof ConnectionLostError) return; // stays in the outbox for the next connection
        this.outbox.delete(clientMsgId);
        entry.reject(error);
      },
    });
    this.socket.send(JSON.stringify({ type: 'message.send', id, data: entry.input }));
  }

  private received(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let frame: RawFrame;
    try {
      frame = JSON.parse(raw) as RawFrame;
    } catch {
      return;
    }
    if (frame.type === 'ack' || frame.type === 'error' || frame.type === 'pong') {
      this.answered(frame);
      return;
    }
    if (frame.type === 'sync.done') {
      const cursors = (frame.data as { cursors: Record<string, number> }).cursors;
      for (const [conversationId, rev] of Object.entries(cursors)) {
        this.setCursor(conversationId, rev);
        this.syncing.delete(conversationId);
      }
    } else if (!this.inOrder(frame.data)) return;
    for (const listener of this.frameListeners) listener(frame as ServerFrame);
  }

  /** Stream frames must arrive rev after rev: drops a repeat, and on a jump syncs from the last one seen. */
  private inOrder(data: unknown): boolean {
    const { conversationId, rev } = (data ?? {}) as { conversationId?: string; rev?: number };
    if (typeof conversationId !== 'string' || typeof rev !== 'number') return true;
    const known = this.cursors.get(conversationId);
    if (known !== undefined && rev <= known) return false;
    if (known !== undefined && rev > known + 1) {
      if (!this.syncing.has(conversationId)) this.sync({ [conversationId]: known });
      return false;
    }
    this.cursors.set(conversationId, rev);
    return true;
  }

  private answered(frame: RawFrame): void {
    if (frame.type === 'pong') this.awaitingPong = false;
    if (frame.id === undefined) return;
    const pending = this.requests.get(frame.id);
    if (!pending) return;
    this.requests.delete(frame.id);
    if (frame.type === 'error') {
      const { code, message } = frame.data as { code: string; message: string };
      pending.reject(new ApiError(0, code, message));
    } else pending.resolve(frame.data);
  }

  private closed(socket: WebSocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.connectionEnded();
    if (!this.running) return;
    if (code === TOKEN_REFUSED) {
      // The token expired while connected (or was refused): renew it before trying again.
      this.options.renewTokens().then(
        () => this.scheduleReconnect(),
        () => this.scheduleReconnect(),
      );
      return;
    }
    this.scheduleReconnect();
  }

  /** Forgets the socket at once, without waiting for a close handshake a dead link never finishes. */
  private abandonSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(1000, 'client closed');
    } catch {
      // Already closing.
    }
    this.connectionEnded();
    if (this.running) this.scheduleReconnect();
  }

  private connectionEnded(): void {
    this.stopHeartbeat();
    this.syncing.clear();
    const lost = [...this.requests.values()];
    this.requests.clear();
    for (const pending of lost) pending.reject(new ConnectionLostError());
    this.setStatus('closed');
  }

  private scheduleReconnect(): void {
    if (!this.running || !this.networkUp || this.reconnectTimer) return;
    const initial = this.options.initialBackoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 15_000;
    const ceiling = Math.min(max, initial * 2 ** this.failures);
    this.failures += 1;
    // Full jitter in the upper half: clients dropped together do not come back together.
    const delay = ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private startHeartbeat(): void {
    const every = this.options.heartbeatMs ?? 20_000;
    this.awaitingPong = false;
    this.heartbeatTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.abandonSocket();
        return;
      }
      this.awaitingPong = true;
      this.socket?.send(JSON.stringify({ type: 'ping', data: {} }));
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private clearTimers(): void {
    this.stopHeartbeat();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    for (const listener of this.statusListeners) listener(status);
  }
}
