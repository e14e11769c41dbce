import { ApiError, apiErrorOf } from './api-error';
import type { StoredTokens, TokenStore } from './token-store';
import type {
  AttachmentGrant,
  Conversation,
  ConversationDetail,
  Me,
  Message,
  SearchHit,
  Session,
  Tokens,
  User,
} from './types';

/** Refresh this long before the access token expires, so a request never carries a stale one. */
const REFRESH_MARGIN_MS = 30_000;

export interface RestClientOptions {
  /** Parley's origin, e.g. `http://localhost:3000` (in the browser: `location.origin`). */
  baseUrl: string;
  tokens: TokenStore;
  /** Called once the session cannot be renewed (refresh refused): the app shows the login screen. */
  onSignedOut?: () => void;
  now?: () => number;
}

type Query = Record<string, string | number | undefined>;

/**
 * PROTOCOL.md's REST surface. Every call carries the access token, refreshed
 * silently: ahead of its expiry, and once more after a 401. Refreshes are
 * single-flight, because a refresh token spent twice revokes the whole family.
 */
export class RestClient {
  readonly baseUrl: string;
  private readonly now: () => number;
  private refreshing: Promise<StoredTokens> | null = null;

  constructor(private readonly options: RestClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.now = options.now ?? Date.now;
  }

  get signedIn(): boolean {
    return this.options.tokens.load() !== null;
  }

  async register(input: { email: string; username: string; password: string; displayName: string }) {
    return this.startSession(
      await this.call<Session>('POST', '/v1/auth/register', { body: input, anonymous: true }),
    );
  }

  async login(identifier: string, password: string) {
    const session = await this.call<Session>('POST', '/v1/auth/login', {
      body: { identifier, password },
      anonymous: true,
    });
    return this.startSession(session);
  }

  async logout(): Promise<void> {
    const tokens = this.options.tokens.load();
    this.options.tokens.save(null);
    if (tokens)
      await this.call('POST', '/v1/auth/logout', {
        body: { refreshToken: tokens.refreshToken },
        anonymous: true,
      });
  }

  /** A valid access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    const tokens = this.options.tokens.load();
    if (!tokens) return null;
    if (tokens.expiresAt - this.now() > REFRESH_MARGIN_MS) return tokens.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Trades the refresh token for new tokens; concurrent callers share one exchange. */
  refresh(): Promise<StoredTokens> {
    this.refreshing ??= this.exchangeRefreshToken().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  me = () => this.call<Me>('GET', '/v1/me');
  searchUsers = (q: string, limit = 10) =>
    this.call<{ items: User[] }>('GET', '/v1/users', { query: { q, limit } }).then((page) => page.items);
  getUser = (id: string) => this.call<User>('GET', `/v1/users/${id}`);

  listConversations = (cursor?: string, limit = 50) =>
    this.call<{ items: Conversation[]; nextCursor: string | null }>('GET', '/v1/conversations', {
      query: { cursor, limit },
    });
  getConversation = (id: string) => this.call<ConversationDetail>('GET', `/v1/conversations/${id}`);
  createConversation = (input: { kind: 'direct' | 'group'; memberIds: string[]; title?: string }) =>
    this.call<Conversation>('POST', '/v1/conversations', { body: input });

  listMessages = (
    conversationId: string,
    page: { beforeSeq?: number; afterSeq?: number; limit?: number } = {},
  ) =>
    this.call<{ items: Message[]; hasMore: boolean }>('GET', `/v1/conversations/${conversationId}/messages`, {
      query: page,
    });
  sendMessage = (
    conversationId: string,
    input: { clientMsgId: string; body: string; attachments?: string[]; replyTo?: string },
  ) => this.call<Message>('POST', `/v1/conversations/${conversationId}/messages`, { body: input });
  editMessage = (conversationId: string, messageId: string, body: string) =>
    this.call<Message>('PATCH', `/v1/conversations/${conversationId}/messages/${messageId}`, {
      body: { body },
    });
  deleteMessage = (conversationId: string, messageId: string) =>
    this.call<void>('DELETE', `/v1/conversations/${conversationId}/messages/${messageId}`);
  setReaction = (conversationId: string, messageId: string, emoji: string, on: boolean) =>
    this.call<void>(
      on ? 'PUT' : 'DELETE',
      `/v1/conversations/${conversationId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`,
    );
  markRead = (conversationId: string, seq: number) =>
    this.call<{ readSeq: number; unreadCount: number }>('POST', `/v1/conversations/${conversationId}/read`, {
      body: { seq },
    });

  searchMessages = (q: string, conversationId?: string, limit = 20) =>
    this.call<{ items: SearchHit[] }>('GET', '/v1/search/messages', {
      query: { q, conversationId, limit },
    }).then((page) => page.items);

  createAttachment = (file: { filename: string; contentType: string; size: number }) =>
    this.call<AttachmentGrant>('POST', '/v1/attachments', { body: file });

  /** A URL the server answered (upload or download URLs may be relative to Parley's origin), made absolute. */
  resolve(url: string): string {
    return new URL(url, `${this.baseUrl}/`).toString();
  }

  /**
   * PUTs the bytes where the grant says. In a browser it reports progress
   * (XMLHttpRequest: fetch cannot observe an upload); elsewhere it uses fetch.
   */
  async upload(grant: AttachmentGrant, bytes: Blob, onProgress?: (fraction: number) => void): Promise<void> {
    const url = this.resolve(grant.uploadUrl);
    if (typeof XMLHttpRequest === 'undefined') {
      const response = await fetch(url, { method: grant.method, headers: grant.headers, body: bytes });
      if (!response.ok) throw await apiErrorOf(response);
      onProgress?.(1);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open(grant.method, url);
      for (const [name, value] of Object.entries(grant.headers)) {
        // The browser sets Content-Length itself and refuses to be told.
        if (name.toLowerCase() !== 'content-length') request.setRequestHeader(name, value);
      }
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress?.(event.loaded / event.total);
      };
      request.onload = () => {
        if (request.status >= 200 && request.status < 300) {
          onProgress?.(1);
          resolve();
        } else reject(new ApiError(request.status, 'upload_failed', `upload answered ${request.status}`));
      };
      request.onerror = () => reject(new ApiError(0, 'upload_failed', 'the upload did not reach the server'));
      request.send(bytes);
    });
  }

  private startSession(session: Session): Me {
    this.options.tokens.save(this.stored(session.tokens));
    return session.user;
  }

  private stored(tokens: Tokens): StoredTokens {
    return { ...tokens, expiresAt: this.now() + tokens.expiresIn * 1000 };
  }

  private async exchangeRefreshToken(): Promise<StoredTokens> {
    const current = this.options.tokens.load();
    if (!current) throw new ApiError(401, 'unauthorized', 'signed out');
    try {
      const { tokens } = await this.call<{ tokens: Tokens }>('POST', '/v1/auth/refresh', {
        body: { refreshToken: current.refreshToken },
        anonymous: true,
      });
      const stored = this.stored(tokens);
      this.options.tokens.save(stored);
      return stored;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.signOut();
      throw error;
    }
  }

  private signOut(): void {
    this.options.tokens.save(null);
    this.options.onSignedOut?.();
  }

  private async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; anonymous?: boolean } = {},
  ): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    const send = async (token: string | null) =>
      fetch(url, {
        method,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    let response: Response;
    if (options.anonymous) response = await send(null);
    else {
      const token = await this.accessToken();
      if (!token) throw new ApiError(401, 'unauthorized', 'signed out');
      response = await send(token);
      // The token was refused anyway (revoked, clock skew): one refresh, one retry.
      if (response.status === 401) response = await send((await this.refresh()).accessToken);
    }
    if (!response.ok) throw await apiErrorOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
}
