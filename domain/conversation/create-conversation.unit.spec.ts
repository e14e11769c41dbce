import { describe, expect, it } from 'vitest';

import { ConflictError, ValidationError } from '../errors.js';
import {
  alice,
  bob,
  carol,
  conversationId,
  directCreated,
  groupCreated,
  now,
  nowIso,
  spec,
  uuid,
} from '../testing/conversation.fixtures.js';
import type { CreateConversation } from './conversation.commands.js';
import type { ConversationCreated } from './conversation.events.js';

const create = (
  data: Omit<CreateConversation['data'], 'actorId' | 'conversationId'>,
): CreateConversation => ({
  type: 'CreateConversation',
  data: { actorId: alice, conversationId, ...data },
});

const member = (userId: string, role: 'owner' | 'member' = 'member') => ({ userId, role, joinedAt: nowIso });

/** What alice creating a conversation now with `others` decides. */
const createdNow = (
  kind: 'direct' | 'group',
  title: string | null,
  others: string[],
): ConversationCreated => ({
  type: 'ConversationCreated',
  data: {
    conversationId,
    kind,
    title,
    createdBy: alice,
    members: [member(alice, 'owner'), ...others.map((userId) => member(userId))],
    createdAt: nowIso,
  },
});

describe('creating a conversation', () => {
  describe('a direct conversation', () => {
    it('makes the creator owner and the other user a member, without a title', () => {
      spec
        .given([])
        .when(create({ kind: 'direct', memberIds: [bob] }))
        .then([
          {
            type: 'ConversationCreated',
            data: {
              conversationId,
              kind: 'direct',
              title: null,
              createdBy: alice,
              members: [member(alice, 'owner'), member(bob)],
              createdAt: nowIso,
            },
          },
        ]);
    });

    it('ignores the creator and duplicates among memberIds', () => {
      spec
        .given([])
        .when(create({ kind: 'direct', memberIds: [alice, bob, bob], title: null }))
        .then([createdNow('direct', null, [bob])]);
    });

    it.each([
      ['nobody', []],
      ['only the creator', [alice]],
      ['two other users', [bob, carol]],
    ])('needs exactly one other member, not %s', (_, memberIds) => {
      spec
        .given([])
        .when(create({ kind: 'direct', memberIds }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('memberIds'));
    });

    it('refuses a title', () => {
      spec
        .given([])
        .when(create({ kind: 'direct', memberIds: [bob], title: 'Us' }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('title'));
    });
  });

  describe('a group', () => {
    it('makes the creator owner and everyone else a member, with the title trimmed', () => {
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [bob, carol], title: '  Team  ' }))
        .then([createdNow('group', 'Team', [bob, carol])]);
    });

    it('ignores duplicate member ids and the creator listed as a member', () => {
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [bob, alice, bob] }))
        .then([createdNow('group', null, [bob])]);
    });

    it('may start with the creator alone', () => {
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [], title: 'Notes' }))
        .then([createdNow('group', 'Notes', [])]);
    });

    it('accepts a title of 200 characters counted as code points', () => {
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [bob], title: '🎉'.repeat(200) }))
        .then([createdNow('group', '🎉'.repeat(200), [bob])]);
    });

    it.each([
      ['blank', '   '],
      ['over 200 characters', 'x'.repeat(201)],
    ])('refuses a %s title', (_, title) => {
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [bob], title }))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('title'));
    });

    it('counts the creator against the configured member limit', () => {
      const context = { now, limits: { maxGroupMembers: 3 } };
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [bob, carol] }), context)
        .then([createdNow('group', null, [bob, carol])]);
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: [bob, carol, uuid(0xa, 9)] }), context)
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('memberIds'));
    });

    it('allows 1,000 members by default, the creator included', () => {
      const others = (count: number) => Array.from({ length: count }, (_, i) => uuid(0xb, i + 1));
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: others(999) }))
        .then([createdNow('group', null, others(999))]);
      spec
        .given([])
        .when(create({ kind: 'group', memberIds: others(1_000) }))
        .thenThrows(ValidationError);
    });
  });

  it('refuses to create a conversation that already exists', () => {
    spec
      .given([groupCreated(alice, [bob])])
      .when(create({ kind: 'group', memberIds: [carol] }))
      .thenThrows(ConflictError);
    spec
      .given([directCreated(alice, bob)])
      .when(create({ kind: 'direct', memberIds: [bob] }))
      .thenThrows(ConflictError);
  });
});
