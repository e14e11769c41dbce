/**
 * Limits a deployment may tighten or loosen; decisions read them from the context
 * so that configuration never reaches into the domain.
 */
export interface ConversationLimits {
  /** Members of a group, the creator included. */
  maxGroupMembers: number;
  /** Characters (code points) of a message body. */
  maxBodyLength: number;
  /** Attachment keys on one message. */
  maxAttachments: number;
}

export const defaultConversationLimits: Readonly<ConversationLimits> = {
  maxGroupMembers: 1_000,
  maxBodyLength: 10_000,
  maxAttachments: 10,
};

/** Fills what `overrides` leaves out (or sets to `undefined`) with the defaults. */
export function resolveConversationLimits(overrides: Partial<ConversationLimits> = {}): ConversationLimits {
  return {
    maxGroupMembers: overrides.maxGroupMembers ?? defaultConversationLimits.maxGroupMembers,
    maxBodyLength: overrides.maxBodyLength ?? defaultConversationLimits.maxBodyLength,
    maxAttachments: overrides.maxAttachments ?? defaultConversationLimits.maxAttachments,
  };
}
