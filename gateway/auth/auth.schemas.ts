import { z } from 'zod';
import { maxPasswordLength, minPasswordLength } from '../../commands/accounts/account-fields.js';
import { meSchema } from '../users/users.schemas.js';

// Bodies declare shapes only; the commands check contents and name the failing field.

export const registerBodySchema = z.object({
  email: z.string().describe('Unique, compared without case'),
  username: z.string().describe('3 to 32 of a-z, 0-9, "_" and "."; unique, compared without case'),
  password: z.string().describe(`${minPasswordLength} to ${maxPasswordLength} characters`),
  displayName: z.string().describe('1 to 64 characters'),
});

export const logInBodySchema = z.object({
  identifier: z.string().describe('Email or username'),
  password: z.string(),
});

export const refreshTokenBodySchema = z.object({
  refreshToken: z.string().min(1).max(512),
});

/** PROTOCOL.md's `Tokens`. */
export const tokensSchema = z.object({
  accessToken: z.string().describe('A JWT for `Authorization: Bearer`'),
  refreshToken: z.string().describe('Opaque, single use: each refresh answers a new one'),
  expiresIn: z.number().int().describe("The access token's lifetime in seconds"),
});

export const sessionSchema = z.object({ user: meSchema, tokens: tokensSchema });
