import { describe, expect, it } from 'vitest';

import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { deciderSpec } from '../testing/decider-spec.js';
import type { RegisterUser, UpdateProfile } from './user.commands.js';
import { userDecider } from './user.decider.js';
import type { UserProfileUpdated, UserRegistered } from './user.events.js';

const now = new Date('2025-03-01T12:00:00.000Z');
const spec = deciderSpec(userDecider, { now });
const userId = '0000000a-0000-4000-8000-000000000001';

const register = (username: string, displayName = 'Ada'): RegisterUser => ({
  type: 'RegisterUser',
  data: { userId, username, displayName },
});
const update = (displayName: string): UpdateProfile => ({ type: 'UpdateProfile', data: { displayName } });
const registered = (username = 'ada', displayName = 'Ada'): UserRegistered => ({
  type: 'UserRegistered',
  data: { userId, username, displayName, registeredAt: now.toISOString() },
});
const updated = (displayName: string): UserProfileUpdated => ({
  type: 'UserProfileUpdated',
  data: { displayName, updatedAt: now.toISOString() },
});

describe('user profile', () => {
  describe('registering', () => {
    it('stores the username lowercased and the display name trimmed', () => {
      spec
        .given([])
        .when(register('Ada.Love_1', '  Ada Lovelace '))
        .then([registered('ada.love_1', 'Ada Lovelace')]);
    });

    it.each([
      ['3', 'abc'],
      ['32', 'a'.repeat(32)],
    ])('accepts a username of %s characters', (_, username) => {
      spec
        .given([])
        .when(register(username))
        .then([registered(username)]);
    });

    it.each([
      ['shorter than 3 characters', 'ab'],
      ['longer than 32 characters', 'a'.repeat(33)],
      ['with a space', 'ada love'],
      ['with a dash', 'ada-love'],
      ['with a non-ASCII letter', 'adé'],
      ['that only lowercases to ASCII (Kelvin sign)', '\u212Aelvin'],
    ])('refuses a username %s', (_, username) => {
      spec
        .given([])
        .when(register(username))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('username'));
    });

    it('accepts a display name of 64 characters counted as code points', () => {
      spec
        .given([])
        .when(register('ada', '🦄'.repeat(64)))
        .then([registered('ada', '🦄'.repeat(64))]);
    });

    it.each([
      ['blank', '   '],
      ['longer than 64 characters', 'n'.repeat(65)],
    ])('refuses a display name that is %s', (_, displayName) => {
      spec
        .given([])
        .when(register('ada', displayName))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('displayName'));
    });

    it('refuses to register the same user twice', () => {
      spec.given([registered()]).when(register('ada')).thenThrows(ConflictError);
    });
  });

  describe('updating the profile', () => {
    it('changes the display name, trimmed', () => {
      spec
        .given([registered()])
        .when(update(' Countess '))
        .then([updated('Countess')]);
    });

    it('writes nothing when the display name does not change', () => {
      spec.given([registered()]).when(update('Ada ')).then([]);
      spec
        .given([registered(), updated('Countess')])
        .when(update('Countess'))
        .then([]);
    });

    it('refuses an invalid display name', () => {
      spec
        .given([registered()])
        .when(update(''))
        .thenThrows(ValidationError, (error) => expect(error.field).toBe('displayName'));
    });

    it('answers not found for a user who never registered', () => {
      spec.given([]).when(update('Ada')).thenThrows(NotFoundError);
    });
  });
});
