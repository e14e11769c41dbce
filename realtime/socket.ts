/**
 * The part of a `ws` WebSocket the realtime layer uses. `ws` ships no types of its
 * own (and @types/ws is not a dependency), so this names exactly what we rely on.
 */
export interface ClientSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes written to its TCP socket (by `ws` or by Parley) and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void;
  on(event: 'pong', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

export const SOCKET_OPEN = 1;

/**
 * Close codes Parley uses, so a client knows whether to reconnect: 1001 and 4008
 * invite a reconnect followed by `sync`; 4401 asks for a fresh access token first;
 * 4429 asks the client to close another of its user's connections (or back off) first.
 * (1009, a frame over the limit, is sent by `ws` itself.)
 */
export const CloseCode = {
  goingAway: 1001,
  tryAgainLater: 1013,
  slowConsumer: 4008,
  unauthorized: 4401,
  /** The user already holds `WS_MAX_CONNECTIONS_PER_USER` here: close one before opening another. */
  tooManyConnections: 4429,
} as const;
