/** The rules for the credential fields of an account; the profile fields' rules live in the domain. */
import { z } from 'zod';
import { codePointLength } from '../../domain/code-points.js';
import { ValidationError } from '../../domain/errors.js';

export const minPasswordLength = 8;
export const maxPasswordLength = 256;

const emailSchema = z.email().max(254);

/** Trimmed and lowercased, so `Ada@Example.org` and `ada@example.org` are one account. */
export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!emailSchema.safeParse(normalized).success) {
    throw new ValidationError('email must be a valid email address', 'email');
  }
  return normalized;
}

/** Any characters, 8 to 256 of them (code points): length is what makes a password strong. */
export function checkPassword(password: string): void {
  if (!isPlausiblePassword(password)) {
    throw new ValidationError(
      `password must be ${minPasswordLength} to ${maxPasswordLength} characters`,
      'password',
    );
  }
}

/** Whether a password could belong to any account; a login with another can fail without hashing. */
export function isPlausiblePassword(password: string): boolean {
  const length = codePointLength(password);
  return length >= minPasswordLength && length <= maxPasswordLength;
}
