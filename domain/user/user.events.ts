/**
 * The events of a `user-<uuid>` stream: the public profile only. Email and
 * password hashes live in the credentials table, never in an event, so erasing
 * them never means rewriting history.
 */
import { z } from 'zod';

import type { DomainEventOf } from '../decider.js';

export const userRegisteredSchema = z.object({
  userId: z.uuid(),
  /** Lowercase, unique across users (checked by the command handler against the credentials table). */
  username: z.string(),
  displayName: z.string(),
  registeredAt: z.iso.datetime(),
});

export const userProfileUpdatedSchema = z.object({
  displayName: z.string(),
  updatedAt: z.iso.datetime(),
});

export type UserRegistered = DomainEventOf<'UserRegistered', z.infer<typeof userRegisteredSchema>>;
export type UserProfileUpdated = DomainEventOf<
  'UserProfileUpdated',
  z.infer<typeof userProfileUpdatedSchema>
>;

export type UserEvent = UserRegistered | UserProfileUpdated;
