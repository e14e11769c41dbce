import { describe, expect, it } from 'vitest';
import { EventDecodingError } from '../../domain/event-upcasting.js';
import type { UserProfileUpdated } from '../../domain/user/user.events.js';
import type { JsonObject, RecordedEvent } from '../../infra/eventstore/event-store.js';
import { decodeRecorded, encodeEvent, metadataOf } from './event-codec.js';

const profileUpdated: UserProfileUpdated = {
  type: 'UserProfileUpdated',
  data: { displayName: 'Ada', updatedAt: '2025-03-01T12:00:00.000Z' },
};

function recorded(metadata: JsonObject, data: RecordedEvent['data'] = profileUpdated.data): RecordedEvent {
  return {
    stream: 'user-0000000a-0000-4000-8000-000000000001',
    revision: 1,
    position: 7n,
    id: '0000000e-0000-4000-8000-000000000001',
    type: 'UserProfileUpdated',
    data,
    metadata,
    createdAt: new Date('2025-03-01T12:00:00.000Z'),
  };
}

describe('the event codec', () => {
  describe('metadataOf', () => {
    it('records the actor alone when the command has no correlation id', () => {
      expect(metadataOf({ actorId: 'ada' })).toStrictEqual({ actorId: 'ada' });
    });

    it('records the correlation id beside the actor when there is one, even an empty one', () => {
      expect(metadataOf({ actorId: 'ada', correlationId: 'req-1' })).toStrictEqual({
        actorId: 'ada',
        correlationId: 'req-1',
      });
      expect(metadataOf({ actorId: 'ada', correlationId: '' })).toStrictEqual({
        actorId: 'ada',
        correlationId: '',
      });
    });
  });

  describe('encodeEvent', () => {
    it('gives each event a fresh id and stores its schema version with the metadata given', () => {
      const ids = ['id-1', 'id-2'];
      const encode = encodeEvent(() => ids.shift()!);
      expect(encode(profileUpdated, { actorId: 'ada', correlationId: 'req-1' })).toStrictEqual({
        id: 'id-1',
        type: 'UserProfileUpdated',
        data: profileUpdated.data,
        metadata: { actorId: 'ada', correlationId: 'req-1', schemaVersion: 1 },
      });
      expect(encode(profileUpdated, {}).id).toBe('id-2');
    });

    it('writes the registry version over a schema version the caller put in the metadata', () => {
      const encode = encodeEvent(() => 'id-1');
      expect(encode(profileUpdated, { schemaVersion: 9 }).metadata).toStrictEqual({ schemaVersion: 1 });
    });
  });

  describe('decodeRecorded', () => {
    it('reads an event at its stored schema version', () => {
      expect(decodeRecorded(recorded({ schemaVersion: 1 }))).toStrictEqual(profileUpdated);
    });

    it('reads an event stored without a schema version as version 1', () => {
      expect(decodeRecorded(recorded({}))).toStrictEqual(profileUpdated);
    });

    it('reads a schema version stored as text as that number', () => {
      expect(decodeRecorded(recorded({ schemaVersion: '1' }))).toStrictEqual(profileUpdated);
    });

    it('refuses an event written at a newer version than this build knows', () => {
      expect(() => decodeRecorded(recorded({ schemaVersion: 2 }))).toThrow(
        new EventDecodingError('UserProfileUpdated v2 cannot be read as v1'),
      );
    });

    it('refuses data that does not match the schema', () => {
      expect(() => decodeRecorded(recorded({ schemaVersion: 1 }, { displayName: 1 }))).toThrow(
        EventDecodingError,
      );
    });
  });
});
