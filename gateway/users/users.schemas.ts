import { z } from 'zod';
import { maxSearchLimit } from '../../readmodels/users/users.query.js';

/** PROTOCOL.md's `User`. Serializing through it drops any other field, an email above all. */
export const userSchema = z
  .object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    createdAt: z.iso.datetime(),
  })
  .describe('A user as anyone may see them');

/** PROTOCOL.md's `Me`: only ever the caller's own. */
export const meSchema = userSchema.extend({ email: z.string() }).describe('The caller, with their email');

export type Me = z.infer<typeof meSchema>;

export const updateMeBodySchema = z.object({
  displayName: z.string().optional().describe('1 to 64 characters, trimmed'),
});

export const searchUsersQuerySchema = z.object({
  q: z
    .string()
    .max(200)
    .default('')
    .describe('Prefix of a username or display name, any case; empty lists all'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe(`At most ${maxSearchLimit}; larger values are lowered to it`),
});

export const userIdParamsSchema = z.object({ id: z.string() });
