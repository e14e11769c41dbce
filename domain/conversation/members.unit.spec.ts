import { describe, expect, it } from 'vitest';

import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import {
  alice,
  bob,
  carol,
  dave,
  directCreated,
  erin,
  groupCreated,
  mallory,
  now,
  nowIso,
  roleChanged,
  spec,
} from '../testing/conversation.fixtures.js';
import type { AddMembers, RemoveMember } from './conversation.commands.js';
import type { ConversationEvent } from './conversation.events.js';

const add = (actorId: string, userIds: string[]): AddMembers => ({
  type: 'AddMembers',
  data: { actorId, userIds },
});
const remove = (actorId: string, userId: string): RemoveMember => ({
  type: 'RemoveMember',
  data: { actorId, userId },
});
const added = (addedBy: string, userIds: string[]): ConversationEvent => ({
  type: 'MembersAdded',
  data: { members: userIds.map((userId) => ({ userId, role: 'member', joinedAt: nowIso })), addedBy },
});
const removed = (userId: string, removedBy: string): ConversationEvent => ({
  type: 'MemberRemoved',
  data: { userId, removedBy, at: nowIso },
});
const promoted = (userId: string, changedBy: string): ConversationEvent => ({
  type: 'MemberRoleChanged',
  data: { userId, role: 'owner', changedBy, at: nowIso },
});

/** alice owns a group where bob is an admin and carol a plain member. */
const group = [groupCreated(alice, [bob, carol]), roleChanged(bob, 'admin', alice)];

describe('conversation members', () => {
  describe('adding members', () => {
    it('lets the owner add users as plain members', () => {
      spec
        .given(group)
        .when(add(alice, [dave, erin]))
        .then([added(alice, [dave, erin])]);
    });

    it('lets an admin add users', () => {
      spec
        .given(group)
        .when(add(bob, [dave]))
        .then([added(bob, [dave])]);
    });

    it('skips users who are already members, and duplicates', () => {
      spec
        .given(group)
        .when(add(alice, [carol, dave, dave]))
        .then([added(alice, [dave])]);
    });

    it('writes nothing when everyone is already a member', () => {
      spec
        .given(group)
        .when(add(alice, [bob, carol]))
        .then([]);
    });

    it('refuses an empty list', () => {
      spec
        .given(group)
        .when(add(alice, []))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('userIds'));
    });

    it('refuses a plain member', () => {
      spec
        .given(group)
        .when(add(carol, [dave]))
        .thenThrows(ForbiddenError);
    });

    it('refuses to grow a direct conversation', () => {
      spec
        .given([directCreated(alice, bob)])
        .when(add(alice, [carol]))
        .thenThrows(ForbiddenError);
    });

    it('refuses to pass the member limit', () => {
      const context = { now, limits: { maxGroupMembers: 4 } };
      spec
        .given(group)
        .when(add(alice, [dave]), context)
        .then([added(alice, [dave])]);
      spec
        .given(group)
        .when(add(alice, [dave, erin]), context)
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('userIds'));
    });

    it('lets a member who left be added again', () => {
      spec
        .given([...group, removed(carol, carol)])
        .when(add(alice, [carol]))
        .then([added(alice, [carol])]);
    });
  });

  describe('removing someone else', () => {
    it('lets the owner remove a member or an admin', () => {
      spec
        .given(group)
        .when(remove(alice, carol))
        .then([removed(carol, alice)]);
      spec
        .given(group)
        .when(remove(alice, bob))
        .then([removed(bob, alice)]);
    });

    it('lets an admin remove a member and another admin', () => {
      const withTwoAdmins = [...group, added(alice, [dave]), roleChanged(dave, 'admin', alice)];
      spec
        .given(withTwoAdmins)
        .when(remove(bob, carol))
        .then([removed(carol, bob)]);
      spec
        .given(withTwoAdmins)
        .when(remove(bob, dave))
        .then([removed(dave, bob)]);
    });

    it('does not let an admin remove the owner', () => {
      spec.given(group).when(remove(bob, alice)).thenThrows(ForbiddenError);
    });

    it('does not let a plain member remove anyone', () => {
      spec.given(group).when(remove(carol, bob)).thenThrows(ForbiddenError);
    });

    it('answers not found for a user who is not a member', () => {
      spec.given(group).when(remove(alice, dave)).thenThrows(NotFoundError);
      spec
        .given([...group, removed(carol, alice)])
        .when(remove(alice, carol))
        .thenThrows(NotFoundError);
    });

    it('refuses to remove anyone from a direct conversation', () => {
      spec
        .given([directCreated(alice, bob)])
        .when(remove(alice, bob))
        .thenThrows(ForbiddenError);
    });
  });

  describe('leaving', () => {
    it('lets a plain member or an admin leave', () => {
      spec
        .given(group)
        .when(remove(carol, carol))
        .then([removed(carol, carol)]);
      spec
        .given(group)
        .when(remove(bob, bob))
        .then([removed(bob, bob)]);
    });

    it('refuses to leave a direct conversation', () => {
      spec
        .given([directCreated(alice, bob)])
        .when(remove(bob, bob))
        .thenThrows(ForbiddenError);
    });

    it('passes ownership to the longest-standing admin when the owner leaves', () => {
      const twoAdmins = [
        groupCreated(alice, [carol]),
        added(alice, [dave, bob]),
        roleChanged(bob, 'admin', alice),
        roleChanged(dave, 'admin', alice),
      ];
      spec
        .given(twoAdmins)
        .when(remove(alice, alice))
        .then([removed(alice, alice), promoted(dave, alice)]);
    });

    it('passes ownership to the longest-standing member when there is no admin', () => {
      spec
        .given([groupCreated(alice, [carol, dave]), added(alice, [erin])])
        .when(remove(alice, alice))
        .then([removed(alice, alice), promoted(carol, alice)]);
    });

    it('counts a member who left and came back from their return', () => {
      spec
        .given([groupCreated(alice, [carol, dave]), removed(carol, carol), added(alice, [carol])])
        .when(remove(alice, alice))
        .then([removed(alice, alice), promoted(dave, alice)]);
    });

    it('makes the new owner able to manage the group', () => {
      spec
        .given([groupCreated(alice, [carol]), removed(alice, alice), promoted(carol, alice)])
        .when(add(carol, [dave]))
        .then([added(carol, [dave])]);
    });

    it('passes nothing on when the owner was alone', () => {
      spec
        .given([groupCreated(alice, [])])
        .when(remove(alice, alice))
        .then([removed(alice, alice)]);
    });

    it('leaves the former member unable to act on the conversation', () => {
      spec
        .given([...group, removed(carol, carol)])
        .when(remove(carol, carol))
        .thenThrows(NotFoundError);
    });
  });

  describe('for someone who is not a member', () => {
    it.each([
      ['adding', add(mallory, [dave])],
      ['removing', remove(mallory, carol)],
      ['leaving', remove(mallory, mallory)],
    ])('answers not found when %s', (_, command) => {
      spec.given(group).when(command).thenThrows(NotFoundError);
    });

    it('answers not found when the conversation does not exist', () => {
      spec
        .given([])
        .when(add(alice, [dave]))
        .thenThrows(NotFoundError);
      spec.given([]).when(remove(alice, alice)).thenThrows(NotFoundError);
    });
  });
});
