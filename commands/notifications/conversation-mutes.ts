/**
 * Which conversations each user muted. Both operations are idempotent: muting a
 * muted conversation (or unmuting an unmuted one) changes nothing and succeeds.
 */
export interface ConversationMutes {
  mute(userId: string, conversationId: string): Promise<void>;
  unmute(userId: string, conversationId: string): Promise<void>;
}
