import { describe, expect, it } from 'vitest';

import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import {
  alice,
  bob,
  carol,
  directCreated,
  groupCreated,
  mallory,
  nowIso,
  roleChanged,
  spec,
} from '../testing/conversation.fixtures.js';
import type { RenameConversation } from './conversation.commands.js';

const rename = (actorId: string, title: string | null): RenameConversation => ({
  type: 'RenameConversation',
  data: { actorId, title },
});

/** alice owns the group "Team"; bob is an admin, carol a plain member. */
const group = [groupCreated(alice, [bob, carol], 'Team'), roleChanged(bob, 'admin', alice)];

describe('renaming a conversation', () => {
  it('lets the owner set a new title, trimmed', () => {
    spec
      .given(group)
      .when(rename(alice, '  Launch crew '))
      .then([{ type: 'ConversationRenamed', data: { title: 'Launch crew', renamedBy: alice, at: nowIso } }]);
  });

  it('lets an admin rename', () => {
    spec
      .given(group)
      .when(rename(bob, 'Crew'))
      .then([{ type: 'ConversationRenamed', data: { title: 'Crew', renamedBy: bob, at: nowIso } }]);
  });

  it('clears the title with null', () => {
    spec
      .given(group)
      .when(rename(alice, null))
      .then([{ type: 'ConversationRenamed', data: { title: null, renamedBy: alice, at: nowIso } }]);
  });

  it('writes nothing when the title does not change', () => {
    spec.given(group).when(rename(alice, 'Team ')).then([]);
    spec
      .given([groupCreated(alice, [bob], null)])
      .when(rename(alice, null))
      .then([]);
  });

  it('remembers the latest title', () => {
    spec
      .given([
        ...group,
        { type: 'ConversationRenamed', data: { title: 'Crew', renamedBy: alice, at: nowIso } },
      ])
      .when(rename(alice, 'Crew'))
      .then([]);
  });

  it.each([
    ['blank', ' '],
    ['over 200 characters', 'y'.repeat(201)],
  ])('refuses a %s title', (_, title) => {
    spec
      .given(group)
      .when(rename(alice, title))
      .thenThrows(ValidationError, (error) => expect(error.field).toBe('title'));
  });

  it('refuses a plain member', () => {
    spec.given(group).when(rename(carol, 'Mine')).thenThrows(ForbiddenError);
  });

  it('refuses to title a direct conversation', () => {
    spec
      .given([directCreated(alice, bob)])
      .when(rename(alice, 'Us'))
      .thenThrows(ForbiddenError);
  });

  it('answers not found to a non-member and for a conversation that does not exist', () => {
    spec.given(group).when(rename(mallory, 'Mine')).thenThrows(NotFoundError);
    spec.given([]).when(rename(alice, 'Team')).thenThrows(NotFoundError);
  });
});
