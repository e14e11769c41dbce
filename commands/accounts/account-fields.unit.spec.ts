import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import {
  checkPassword,
  isPlausiblePassword,
  maxPasswordLength,
  minPasswordLength,
  normalizeEmail,
} from './account-fields.js';

/** The error a call throws, for asserting its class, message and field together. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** An address of exactly `length` characters: a 64-character local part and a padded domain. */
function emailOfLength(length: number): string {
  const local = 'a'.repeat(64);
  const domainLabel = 'b'.repeat(length - local.length - '@'.length - '.org'.length);
  return `${local}@${domainLabel}.org`;
}

describe('account fields', () => {
  describe('email', () => {
    it('is trimmed and lowercased, so one address is one account', () => {
      expect(normalizeEmail('  Ada.Lovelace@Example.ORG \n')).toBe('ada.lovelace@example.org');
    });

    it.each(['', 'ada', 'ada@', '@example.org', 'ada@example', 'ada lovelace@example.org'])(
      'refuses %j with a bad_request on the email field',
      (email) => {
        const error = thrownBy(() => normalizeEmail(email));
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({
          code: 'bad_request',
          field: 'email',
          message: 'email must be a valid email address',
        });
      },
    );

    it('accepts 254 characters and refuses 255', () => {
      expect(normalizeEmail(emailOfLength(254))).toHaveLength(254);
      expect(() => normalizeEmail(emailOfLength(255))).toThrow(ValidationError);
    });

    it('counts the length after trimming', () => {
      expect(normalizeEmail(`  ${emailOfLength(254)}  `)).toBe(emailOfLength(254));
    });
  });

  describe('password', () => {
    it('is 8 to 256 characters', () => {
      expect([minPasswordLength, maxPasswordLength]).toEqual([8, 256]);
    });

    it.each([
      ['7 characters', 'x'.repeat(7), false],
      ['8 characters', 'x'.repeat(8), true],
      ['256 characters', 'x'.repeat(256), true],
      ['257 characters', 'x'.repeat(257), false],
      ['empty', '', false],
      // Four emoji are eight UTF-16 units but four characters.
      ['4 emoji', '🔑🔑🔑🔑', false],
      ['8 emoji', '🔑'.repeat(8), true],
      ['256 emoji', '🔑'.repeat(256), true],
      ['257 emoji', '🔑'.repeat(257), false],
    ])('%s: plausible is %s', (_case, password, plausible) => {
      expect(isPlausiblePassword(password)).toBe(plausible);
      if (plausible) expect(() => checkPassword(password)).not.toThrow();
      else {
        const error = thrownBy(() => checkPassword(password));
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({
          code: 'bad_request',
          field: 'password',
          message: 'password must be 8 to 256 characters',
        });
      }
    });

    it('may be any characters, spaces included', () => {
      expect(() => checkPassword('        ')).not.toThrow();
    });
  });
});
