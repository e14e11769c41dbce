import { createHash } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTextFrame, WireFrame } from './wire-frame.js';

interface ReceivingSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'error' | 'close', listener: (error: unknown) => void): void;
  terminate(): void;
}
const { WebSocket } = createRequire(import.meta.url)('ws') as {
  WebSocket: new (url: string) => ReceivingSocket;
};

/** RFC 6455's handshake done by hand, so the frames under test are the only thing the server writes. */
async function handshakeServer() {
  const server = http.createServer();
  const upgraded = new Promise<Duplex>((resolve) =>
    server.on('upgrade', (request, socket: Duplex) => {
      const accept = createHash('sha1')
        .update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      resolve(socket);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, upgraded, url: `ws://127.0.0.1:${port}/` };
}

describe('encodeTextFrame', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  it('writes frames a real WebSocket client reads back as the same text, at every length boundary', async () => {
    const { server, upgraded, url } = await handshakeServer();
    const client = new WebSocket(url);
    cleanups.push(() => {
      client.terminate();
      server.close();
    });
    const received: string[] = [];
    client.on('message', (data, isBinary) => received.push(isBinary ? '<binary>' : data.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      client.on('open', resolve);
      client.on('error', reject);
    });
    const texts = [
      '',
      'a',
      'x'.repeat(125),
      'x'.repeat(126),
      // 63 characters but 126 bytes: the length field counts bytes, not characters.
      'é'.repeat(63),
      '{"emoji":"👋🏽"}',
      'y'.repeat(0xffff),
      'z'.repeat(0x10000),
      'ü'.repeat(40_000),
    ];
    const socket = await upgraded;
    for (const text of texts) socket.write(encodeTextFrame(text));
    await expect.poll(() => received.length).toBe(texts.length);
    expect(received).toEqual(texts);
  });

  it('encodes a shared frame once, however many sockets it is written to', () => {
    const frame = new WireFrame('{"type":"message.create"}');
    expect(frame.bytes).toBe(frame.bytes);
    expect(frame.bytes.subarray(2).toString('utf8')).toBe(frame.text);
  });
});
