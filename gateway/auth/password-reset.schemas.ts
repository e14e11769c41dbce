import { z } from 'zod';
import { maxPasswordLength, minPasswordLength } from '../../commands/accounts/account-fields.js';

export const passwordResetBodySchema = z.object({
  email: z.string().max(320).describe('The email of the account'),
});

export const passwordResetConfirmBodySchema = z.object({
  email: z.string().max(320),
  code: z.string().max(32).describe('The code from the mail'),
  newPassword: z.string().describe(`${minPasswordLength} to ${maxPasswordLength} characters`),
});
