import type { SqlExecutor } from '../../infra/sql/sql-client.js';

/**
 * Which of `userIds` share at least one conversation with `userId`, by the
 * conversations read model: the only users whose presence `userId` may watch.
 */
export async function getUsersSharingAConversation(
  db: SqlExecutor,
  userId: string,
  userIds: readonly string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(
    `select distinct other.user_id::text as id
       from conversation_members mine
       join conversation_members other on other.conversation_id = mine.conversation_id
      where mine.user_id = $1::uuid and other.user_id = any($2::uuid[])`,
    [userId, userIds],
  );
  return new Set(rows.map((row) => row.id));
}
