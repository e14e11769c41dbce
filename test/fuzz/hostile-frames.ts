/**
 * Client frames for `/v1/ws` that break one thing: not text, not JSON, not an
 * envelope, an unknown type, or a known type whose data has one bad field. Every
 * frame from `brokenFrame` must be answered by exactly one `error` frame.
 */
import fc from 'fast-check';
import { hostileText, malformedJsonText, notAUuid, wrongTypeJson } from './hostile-values.js';
import { invalidJson } from './hostile-requests.js';
import type { FieldKind } from './rest-routes.js';

export interface FuzzTargetIds {
  conversationId: string;
  messageId: string;
  userId: string;
}

export interface HostileFrame {
  /** What goes on the wire; a Buffer goes as a binary frame. */
  payload: string | Buffer;
  /** The id the answer must echo, when the frame carries a usable one. */
  id: string | number | undefined;
  flaw: string;
}

/** PROTOCOL.md's client frames and the kinds of their data fields. */
const frameFields: Record<string, Record<string, FieldKind>> = {
  'message.send': {
    conversationId: 'uuid',
    clientMsgId: 'uuid',
    body: 'text',
    attachments: 'strings',
    replyTo: 'nullableUuid',
  },
  'message.edit': { conversationId: 'uuid', messageId: 'uuid', body: 'text' },
  'message.delete': { conversationId: 'uuid', messageId: 'uuid' },
  'message.read': { conversationId: 'uuid', seq: 'seq' },
  'typing.start': { conversationId: 'uuid' },
  'typing.stop': { conversationId: 'uuid' },
  'presence.subscribe': { userIds: 'uuids' },
  sync: { cursors: 'strings' },
};

/** Message bodies of the right type that the rules refuse: nothing visible, NUL, lone surrogates, too long. */
const refusedBodyJson = fc.oneof(
  fc.constantFrom(
    '""',
    '"   "',
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"x\\udfffy"',
    '"\\u2028\\u00a0\\ufeff"',
  ),
  fc.integer({ min: 10_001, max: 12_000 }).map((length) => JSON.stringify('y'.repeat(length))),
);

function validFieldJson(kind: FieldKind, ids: FuzzTargetIds): string {
  switch (kind) {
    case 'uuid':
    case 'nullableUuid':
      return JSON.stringify(ids.conversationId);
    case 'uuids':
      return JSON.stringify([ids.userId]);
    case 'strings':
      return '[]';
    case 'seq':
      return '1';
    default:
      return '"fuzz"';
  }
}

/** A frame's data field set from the conversation's real ids, so only the broken field is wrong. */
function dataJson(type: string, ids: FuzzTargetIds, broken: { name: string; json: string }): string {
  const fields = Object.entries(frameFields[type] ?? {}).map(([name, kind]) => {
    let json = validFieldJson(kind, ids);
    if (name === 'conversationId') json = JSON.stringify(ids.conversationId);
    if (name === 'messageId') json = JSON.stringify(ids.messageId);
    if (name === broken.name) json = broken.json;
    return `${JSON.stringify(name)}:${json}`;
  });
  return `{${fields.join(',')}}`;
}

const usableId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }).map((text) => `f-${text}`),
  fc.integer(),
  fc.integer({ min: 129, max: 2_000 }).map((length) => 'i'.repeat(length)), // over the 128 allowed: refused, still echoed
);

function envelope(type: string, id: string | number | undefined, data: string): string {
  const idPart = id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
  return `{"type":${JSON.stringify(type)}${idPart},"data":${data}}`;
}

function isNotJson(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

export function brokenFrame(ids: FuzzTargetIds): fc.Arbitrary<HostileFrame> {
  const optionalId = fc.option(usableId, { freq: 4 });

  const notJson = fc
    .oneof(malformedJsonText, fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }))
    .filter(isNotJson)
    .map((payload): HostileFrame => ({ payload, id: undefined, flaw: 'not JSON' }));

  const binary = fc
    .uint8Array({ minLength: 0, maxLength: 2_000 })
    .map((bytes): HostileFrame => ({ payload: Buffer.from(bytes), id: undefined, flaw: 'binary frame' }));

  const notAnEnvelope = fc
    .oneof(
      wrongTypeJson.filter((text) => !text.startsWith('{')),
      fc.constantFrom('null', '"ping"', '1e400', '[{"type":"ping"}]'),
    )
    .map((payload): HostileFrame => ({ payload, id: undefined, flaw: 'not an object' }));

  const badEnvelope = fc
    .record({
      id: optionalId,
      type: fc.oneof(
        wrongTypeJson,
        fc.constantFrom('""', 'null'),
        fc.integer({ min: 65, max: 500 }).map((length) => JSON.stringify('t'.repeat(length))),
      ),
    })
    .map(({ id, type }): HostileFrame => ({
      payload: `{"type":${type}${id === null ? '' : `,"id":${JSON.stringify(id)}`},"data":{}}`,
      id: id ?? undefined,
      flaw: 'bad envelope type',
    }));

  const badId = fc
    .oneof(
      fc.constantFrom('null', 'true', '{}', '[1]', '""'),
      fc.integer({ min: 129, max: 500 }).map((length) => JSON.stringify('i'.repeat(length))),
    )
    .map((idJson): HostileFrame => {
      const parsed: unknown = JSON.parse(idJson);
      return {
        payload: `{"type":"ping","id":${idJson},"data":{}}`,
        // A string or number id is echoed even when it is refused; anything else cannot be.
        id:
          (typeof parsed === 'string' && parsed.length > 0) || typeof parsed === 'number'
            ? parsed
            : undefined,
        flaw: 'bad id',
      };
    });

  const unknownType = fc
    .record({
      id: optionalId,
      type: hostileText.filter(
        (text) => text.length > 0 && text.length <= 64 && !(text in frameFields) && text !== 'ping',
      ),
    })
    .map(({ id, type }): HostileFrame => ({
      payload: envelope(type, id ?? undefined, '{}'),
      id: id ?? undefined,
      flaw: 'unknown type',
    }));

  const badData = fc
    .record({ id: optionalId, type: fc.constantFrom(...Object.keys(frameFields), 'ping') })
    .chain(({ id, type }) => {
      const fields = Object.entries(frameFields[type] ?? {});
      const wholeData = fc
        .oneof(
          wrongTypeJson.filter((text) => !text.startsWith('{')),
          fc.constantFrom('"data"', '7'),
        )
        .map((data) => ({ data, flaw: 'data not an object' }));
      if (fields.length === 0) return wholeData.map((broken) => ({ ...broken, id, type }));
      const oneField = fc.constantFrom(...fields).chain(([name, kind]) => {
        const bad =
          type === 'sync' && name === 'cursors'
            ? fc.oneof(
                fc.constantFrom('[]', '1', '"x"', 'null'),
                // zod skips a `__proto__` key (safely): such a sync answers sync.done, not an error.
                notAUuid.filter((key) => key !== '__proto__').map((key) => `{${JSON.stringify(key)}:1}`),
                fc
                  .oneof(fc.constantFrom('-2', '1.5', '9007199254740992', '1e400', '"3"'))
                  .map((rev) => `{${JSON.stringify(ids.conversationId)}:${rev}}`),
              )
            : name === 'body'
              ? fc.oneof(invalidJson(kind), refusedBodyJson)
              : invalidJson(kind);
        return bad.map((json) => ({ data: dataJson(type, ids, { name, json }), flaw: `data.${name}` }));
      });
      return fc
        .oneof({ weight: 4, arbitrary: oneField }, { weight: 1, arbitrary: wholeData })
        .map((broken) => ({ ...broken, id, type }));
    })
    .map(({ id, type, data, flaw }): HostileFrame => ({
      payload: envelope(type, id ?? undefined, data),
      id: id ?? undefined,
      flaw: `${type} ${flaw}`,
    }));

  return fc.oneof(
    { weight: 2, arbitrary: notJson },
    { weight: 1, arbitrary: binary },
    { weight: 1, arbitrary: notAnEnvelope },
    { weight: 1, arbitrary: badEnvelope },
    { weight: 1, arbitrary: badId },
    { weight: 2, arbitrary: unknownType },
    { weight: 6, arbitrary: badData },
  );
}
