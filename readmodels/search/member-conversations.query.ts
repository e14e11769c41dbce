import type { SqlExecutor } from '../../infra/sql/sql-client.js';

/** Ids of the conversations `userId` is a member of now: the membership filter of engines outside SQL. */
export async function listMemberConversationIds(db: SqlExecutor, userId: string): Promise<string[]> {
  const rows = await db.query<{ conversation_id: string }>(
    'select conversation_id from conversation_members where user_id = $1',
    [userId],
  );
  return rows.map((row) => row.conversation_id);
}
