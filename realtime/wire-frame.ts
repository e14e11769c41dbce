/**
 * A server → client WebSocket text frame (RFC 6455 §5.2), encoded once.
 *
 * Server frames are never masked, so every recipient of a fan-out gets the very
 * same bytes: encoding a frame once and writing it to each socket saves what
 * `ws.send` repeats per socket (the string's UTF-8 encoding, a header buffer and
 * two stream writes), which a busy node pays ten times per group message.
 */
export class WireFrame {
  private encoded: Buffer | undefined;

  constructor(readonly text: string) {}

  /** A frame as PROTOCOL.md's JSON. */
  static of(frame: object): WireFrame {
    return new WireFrame(JSON.stringify(frame));
  }

  get bytes(): Buffer {
    return (this.encoded ??= encodeTextFrame(this.text));
  }
}

/** FIN set (a whole message in one frame), opcode 1 (text). */
const FINAL_TEXT_FRAME = 0x81;
/** Payload lengths past 125 take 2 extra bytes, past 65,535 eight. */
const SHORT_LENGTH_LIMIT = 125;
const MEDIUM_LENGTH_LIMIT = 0xffff;

export function encodeTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerBytes = length <= SHORT_LENGTH_LIMIT ? 2 : length <= MEDIUM_LENGTH_LIMIT ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + length);
  frame[0] = FINAL_TEXT_FRAME;
  if (headerBytes === 2) {
    frame[1] = length;
  } else if (headerBytes === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, headerBytes, 'utf8');
  return frame;
}
