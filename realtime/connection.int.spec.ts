import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, type TcpStream } from './connection.js';
import type { ClientSocket } from './socket.js';
import { WireFrame } from './wire-frame.js';
import { WriteCoalescer } from './write-coalescer.js';

interface ServerSideSocket extends ClientSocket {
  /** The TCP socket `ws` writes to: what the route hands a connection as its stream. */
  _socket: Socket;
}
interface ReceivingSocket {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'open', listener: () => void): void;
  terminate(): void;
}
const ws = createRequire(import.meta.url)('ws') as {
  WebSocket: new (url: string) => ReceivingSocket;
  WebSocketServer: new (options: { port: number; host: string }) => {
    on(event: 'connection', listener: (socket: ServerSideSocket) => void): void;
    on(event: 'listening', listener: () => void): void;
    address(): { port: number };
    close(): void;
  };
};

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A real `ws` server socket and a real client. The connection writes to the server
 * socket's TCP stream through a wrapper that counts the stream writes.
 */
async function connectedPair(sendBufferBytes = 1024 * 1024) {
  const server = new ws.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.on('listening', resolve));
  const accepted = new Promise<ServerSideSocket>((resolve) => server.on('connection', resolve));
  const client = new ws.WebSocket(`ws://127.0.0.1:${server.address().port}/`);
  const received: string[] = [];
  client.on('message', (data) => received.push(data.toString('utf8')));
  const closed = new Promise<number>((resolve) => client.on('close', resolve));
  await new Promise<void>((resolve) => client.on('open', resolve));
  const socket = await accepted;
  const writes: number[] = [];
  const stream: TcpStream = {
    write: (bytes, callback) => {
      writes.push(bytes.length);
      return socket._socket.write(bytes, callback);
    },
    get destroyed() {
      return socket._socket.destroyed;
    },
  };
  const connection = new Connection('c1', 'u1', socket, {
    sendBufferBytes,
    wire: { stream, coalescer: new WriteCoalescer() },
  });
  return {
    connection,
    received,
    writes,
    closed,
    stop: () => {
      client.terminate();
      server.close();
    },
  };
}

describe('Connection writes', () => {
  const stops: (() => void)[] = [];
  afterEach(() => stops.splice(0).forEach((stop) => stop()));

  it('writes the frames of one turn as one stream write, in the order sent, when the turn ends', async () => {
    const pair = await connectedPair();
    stops.push(pair.stop);
    for (const text of ['one', 'two', 'three']) pair.connection.send(WireFrame.of({ type: text, data: {} }));
    expect(pair.writes).toEqual([]);
    await endOfTurn();
    expect(pair.writes).toHaveLength(1);
    pair.connection.send(WireFrame.of({ type: 'four', data: {} }));
    await endOfTurn();
    expect(pair.writes).toHaveLength(2);
    await expect
      .poll(() => pair.received.map((text) => JSON.parse(text).type))
      .toEqual(['one', 'two', 'three', 'four']);
  });

  it('holds an unhurried frame for the next write, and writes it alone when none comes', async () => {
    const pair = await connectedPair();
    stops.push(pair.stop);
    pair.connection.sendUnhurried(WireFrame.of({ type: 'receipt-1', data: {} }));
    await endOfTurn();
    expect(pair.writes).toEqual([]);
    pair.connection.send(WireFrame.of({ type: 'urgent', data: {} }));
    await endOfTurn();
    expect(pair.writes).toHaveLength(1);
    await expect
      .poll(() => pair.received.map((text) => JSON.parse(text).type))
      .toEqual(['receipt-1', 'urgent']);

    pair.connection.sendUnhurried(WireFrame.of({ type: 'receipt-2', data: {} }));
    await endOfTurn();
    expect(pair.writes).toHaveLength(1);
    await expect.poll(() => pair.received.length).toBe(3);
    expect(pair.writes).toHaveLength(2);
    expect(JSON.parse(pair.received[2]!).type).toBe('receipt-2');
  });

  it('sends a turn’s frames before a close in the same turn', async () => {
    const pair = await connectedPair();
    stops.push(pair.stop);
    pair.connection.send(WireFrame.of({ type: 'system.notice', data: { message: 'bye' } }));
    pair.connection.close(1001, 'server shutting down');
    expect(await pair.closed).toBe(1001);
    expect(pair.received.map((text) => JSON.parse(text).type)).toEqual(['system.notice']);
  });

  it('runs sent hooks and callbacks once the turn’s write is done; after a close, only callbacks, with an error', async () => {
    const pair = await connectedPair();
    stops.push(pair.stop);
    const hooked: string[] = [];
    const results: (string | undefined)[] = [];
    const frame = (rev: number) => ({
      conversationId: 'k',
      rev,
      wire: WireFrame.of({ type: 'message.create', data: { rev } }),
      onSent: (connection: Connection) => hooked.push(`${connection.id}:${rev}`),
    });
    pair.connection.sendConversationFrame(frame(1));
    pair.connection.sendConversationFrame(frame(2), () => results.push('written'));
    expect(hooked).toEqual([]);
    await expect.poll(() => hooked).toEqual(['c1:1', 'c1:2']);
    expect(results).toEqual(['written']);

    pair.connection.sendConversationFrame(frame(3));
    pair.connection.send(WireFrame.of({ type: 'ack', data: {} }), (error) => results.push(error?.message));
    pair.connection.socket.terminate();
    await endOfTurn();
    await expect.poll(() => results).toEqual(['written', 'connection closed']);
    expect(hooked).toEqual(['c1:1', 'c1:2']);
  });

  it('counts the frames held in this turn against the send buffer', async () => {
    const pair = await connectedPair(4096);
    stops.push(pair.stop);
    const big = WireFrame.of({ type: 'message.create', data: { body: 'x'.repeat(1500) } });
    const errors: (string | undefined)[] = [];
    for (let index = 0; index < 3; index++) pair.connection.send(big, (error) => errors.push(error?.message));
    // Two fit in 4 KiB; the third closes the connection as a slow consumer, after the two.
    expect(await pair.closed).toBe(4008);
    expect(pair.received).toHaveLength(2);
    expect(errors.sort()).toEqual(['slow consumer', undefined, undefined]);
  });
});

describe('WriteCoalescer', () => {
  it('flushes each outbox given to it once, when the turn ends; one given during a flush waits for the next turn', async () => {
    const coalescer = new WriteCoalescer();
    const flushed: string[] = [];
    const late = { flush: () => flushed.push('late') };
    const first = {
      flush: () => {
        flushed.push('first');
        coalescer.flushWhenTurnEnds(late);
      },
    };
    coalescer.flushWhenTurnEnds(first);
    coalescer.flushWhenTurnEnds({ flush: () => flushed.push('second') });
    expect(flushed).toEqual([]);
    await endOfTurn();
    expect(flushed).toEqual(['first', 'second']);
    await endOfTurn();
    expect(flushed).toEqual(['first', 'second', 'late']);
  });
});
