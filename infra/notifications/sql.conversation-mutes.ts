import type { ConversationMutes } from '../../commands/notifications/conversation-mutes.js';
import type { SqlExecutor } from '../sql/sql-client.js';

/** Mutes in `conversation_mutes` (`projections/notifications/notifications.schema.ts`), beside the notifier's reads. */
export function createSqlConversationMutes(db: SqlExecutor): ConversationMutes {
  return {
    async mute(userId, conversationId) {
      await db.query(
        `insert into conversation_mutes (user_id, conversation_id) values ($1, $2)
         on conflict (user_id, conversation_id) do nothing`,
        [userId, conversationId],
      );
    },
    async unmute(userId, conversationId) {
      await db.query('delete from conversation_mutes where user_id = $1 and conversation_id = $2', [
        userId,
        conversationId,
      ]);
    },
  };
}
