import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteCoalescer } from './write-coalescer.js';

/** A real loopback TCP pair: what the coalescer holds back is a kernel socket's writes. */
async function socketPair() {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const peer = await accepted;
  let received = '';
  peer.on('data', (chunk) => (received += chunk.toString('utf8')));
  return {
    client,
    received: () => received,
    close: () => {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteCoalescer', () => {
  const pairs: Awaited<ReturnType<typeof socketPair>>[] = [];
  afterEach(() => pairs.splice(0).forEach((pair) => pair.close()));

  it('holds a turn’s writes back and lets them out together, in order, when the turn ends', async () => {
    const pair = await socketPair();
    pairs.push(pair);
    const coalescer = new WriteCoalescer();
    for (const text of ['one ', 'two ', 'three']) {
      coalescer.holdUntilTurnEnds(pair.client);
      pair.client.write(text);
    }
    // One cork however many writes: Node counts corks, and one uncork must release them.
    expect(pair.client.writableCorked).toBe(1);
    expect(pair.client.writableLength).toBe('one two three'.length);
    await endOfTurn();
    expect(pair.client.writableCorked).toBe(0);
    await expect.poll(pair.received).toBe('one two three');
  });

  it('releases every socket corked in the turn, and corks afresh in the next', async () => {
    const [first, second] = [await socketPair(), await socketPair()];
    pairs.push(first, second);
    const coalescer = new WriteCoalescer();
    coalescer.holdUntilTurnEnds(first.client);
    first.client.write('a');
    coalescer.holdUntilTurnEnds(second.client);
    second.client.write('b');
    await endOfTurn();
    expect([first.client.writableCorked, second.client.writableCorked]).toEqual([0, 0]);
    coalescer.holdUntilTurnEnds(first.client);
    first.client.write('c');
    expect(first.client.writableCorked).toBe(1);
    await endOfTurn();
    await expect.poll(first.received).toBe('ac');
    await expect.poll(second.received).toBe('b');
  });
});
