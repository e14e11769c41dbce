import { createRequire } from 'node:module';
import { waitFor } from './wait-for.js';

/** The slice of the `ws` client the tests use (`ws` ships no types; @types/ws is not installed). */
interface RawWebSocket {
  readyState: number;
  send(data: string | Buffer): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(
    event: 'unexpected-response',
    listener: (request: unknown, response: { statusCode: number }) => void,
  ): void;
}
type WebSocketConstructor = new (
  url: string,
  options?: { headers?: Record<string, string>; autoPong?: boolean; perMessageDeflate?: boolean },
) => RawWebSocket;

const { WebSocket } = createRequire(import.meta.url)('ws') as { WebSocket: WebSocketConstructor };

export interface Frame {
  type: string;
  id?: string | number;
  data: any;
}

export interface ConnectOptions {
  token?: string;
  /** Send the token as `?access_token=` instead of the Authorization header. */
  tokenInQuery?: boolean;
  origin?: string;
  /** false: the client ignores pings, like a dead peer. */
  autoPong?: boolean;
}

let nextId = 0;

/** A real `ws` client speaking PROTOCOL.md's frames, recording everything it receives. */
export class WsClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: RawWebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString('utf8')) as Frame));
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
    );
  }

  /** Opens `/v1/ws`; rejects with `HTTP <status>` when the server refuses the upgrade. */
  static connect(baseUrl: string, options: ConnectOptions = {}): Promise<WsClient> {
    const url = new URL('/v1/ws', baseUrl.replace(/^http/, 'ws'));
    const headers: Record<string, string> = {};
    if (options.token && options.tokenInQuery) url.searchParams.set('access_token', options.token);
    else if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.origin) headers.origin = options.origin;
    const socket = new WebSocket(url.toString(), { headers, autoPong: options.autoPong ?? true });
    const client = new WsClient(socket);
    return new Promise((resolve, reject) => {
      socket.on('open', () => resolve(client));
      socket.on('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      socket.on('error', reject);
    });
  }

  /** Connects and waits until the server has loaded the user's conversations (a ping answered). */
  static async ready(baseUrl: string, token: string): Promise<WsClient> {
    const client = await WsClient.connect(baseUrl, { token });
    await client.ping();
    return client;
  }

  send(frame: { type: string; id?: string | number; data?: unknown }): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends a request with a fresh id and resolves to its answer (`ack`, `error` or `pong`). */
  async request(type: string, data: unknown): Promise<Frame> {
    const id = `r${++nextId}`;
    this.send({ type, id, data });
    return this.next((frame) => frame.id === id, `the answer to ${type} ${id}`);
  }

  /**
   * A round trip: every frame the server queued for this client before it read
   * the ping has arrived once this resolves.
   */
  async ping(): Promise<void> {
    const answer = await this.request('ping', {});
    if (answer.type !== 'pong') throw new Error(`ping answered ${JSON.stringify(answer)}`);
  }

  /** The first received frame matching `match`, waiting for it if need be. */
  async next(match: (frame: Frame) => boolean, what: string, timeoutMs?: number): Promise<Frame> {
    let found: Frame | undefined;
    await waitFor(what, () => (found = this.frames.find(match)) !== undefined, timeoutMs);
    return found!;
  }

  /** Waits until `count` frames match, and returns them in arrival order. */
  async collect(match: (frame: Frame) => boolean, count: number, what: string): Promise<Frame[]> {
    await waitFor(`${count} × ${what}`, () => this.frames.filter(match).length >= count);
    return this.frames.filter(match);
  }

  /** Frames of one conversation's stream (those carrying a `rev`). */
  streamFrames(conversationId: string): Frame[] {
    return this.frames.filter(
      (frame) => frame.data?.conversationId === conversationId && typeof frame.data?.rev === 'number',
    );
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState < 2) this.socket.close(1000);
    return this.closed;
  }
}
