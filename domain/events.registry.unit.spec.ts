import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { createUpcast, EventDecodingError } from './event-upcasting.js';
import { decodeEvent, eventRegistry, isDomainEventType, upcast } from './events.registry.js';
import { alice, bob, groupCreated, messageSent, reactionAdded } from './testing/conversation.fixtures.js';

describe('the event registry', () => {
  it('registers every event type at version 1', () => {
    expect(Object.keys(eventRegistry).sort()).toEqual([
      'ConversationCreated',
      'ConversationRenamed',
      'MemberRemoved',
      'MemberRoleChanged',
      'MembersAdded',
      'MessageDeleted',
      'MessageEdited',
      'MessageSent',
      'ReactionAdded',
      'ReactionRemoved',
      'ReadMarkerMoved',
      'UserProfileUpdated',
      'UserRegistered',
    ]);
    for (const { version } of Object.values(eventRegistry)) expect(version).toBe(1);
  });

  it('decodes stored current-version events as they were written', () => {
    for (const event of [groupCreated(alice, [bob]), messageSent(1, bob), reactionAdded(1, '👍', alice)]) {
      const stored: unknown = JSON.parse(JSON.stringify(event.data));
      expect(decodeEvent(event.type, 1, stored)).toEqual(event);
    }
  });

  it('refuses an unknown type, a version from a newer build and data that breaks the schema', () => {
    expect(isDomainEventType('MessageSent')).toBe(true);
    expect(isDomainEventType('toString')).toBe(false);
    expect(() => decodeEvent('MessageShouted', 1, {})).toThrow(EventDecodingError);
    expect(() => upcast('MessageSent', 2, messageSent(1, bob).data)).toThrow(EventDecodingError);
    expect(() => upcast('MessageSent', 1, { ...messageSent(1, bob).data, seq: 0 })).toThrow(
      EventDecodingError,
    );
    expect(() => upcast('MessageSent', 1, { ...messageSent(1, bob).data, sentAt: 'yesterday' })).toThrow(
      EventDecodingError,
    );
  });

  describe('upcasting', () => {
    // A made-up event whose v1 stored one `name`, v2 split it, v3 added a default.
    const definitions = {
      PersonNamed: {
        version: 3,
        schema: z.object({ first: z.string(), last: z.string(), nickname: z.string().nullable() }),
      },
    };
    const upcastPerson = createUpcast(definitions, {
      PersonNamed: {
        1: (data) => {
          const [first = '', last = ''] = z.object({ name: z.string() }).parse(data).name.split(' ');
          return { first, last };
        },
        2: (data) => ({ ...z.looseObject({}).parse(data), nickname: null }),
      },
    });

    it('turns old stored data into the current shape, one version at a time', () => {
      expect(upcastPerson('PersonNamed', 1, { name: 'Ada Lovelace' })).toEqual({
        first: 'Ada',
        last: 'Lovelace',
        nickname: null,
      });
      expect(upcastPerson('PersonNamed', 2, { first: 'Ada', last: 'Lovelace' })).toEqual({
        first: 'Ada',
        last: 'Lovelace',
        nickname: null,
      });
    });

    it('leaves current data alone', () => {
      const current = { first: 'Ada', last: 'Lovelace', nickname: 'Countess' };
      expect(upcastPerson('PersonNamed', 3, current)).toEqual(current);
    });

    it('refuses a version that has no upcaster', () => {
      const withGap = createUpcast(definitions, { PersonNamed: { 2: (data) => data } });
      expect(() => withGap('PersonNamed', 1, { name: 'Ada Lovelace' })).toThrow(EventDecodingError);
    });
  });
});
