import type { SqlExecutor } from '../infra/sql/sql-client.js';
import { conversationsProjection } from '../projections/conversations/conversations.projection.js';
import type { MembershipSnapshot } from './hub.js';

/**
 * The conversations `userId` is a member of, with the position the read model
 * stood at when they were read. One statement, so both come from one snapshot:
 * the projection writes its rows and its checkpoint in one transaction.
 */
export async function getMembershipSnapshot(db: SqlExecutor, userId: string): Promise<MembershipSnapshot> {
  const rows = await db.query<{ position: string | number | null; ids: string[] | null }>(
    `select (select position from projection_checkpoints where name = $2) as position,
            array(select conversation_id::text from conversation_members where user_id = $1::uuid) as ids`,
    [userId, conversationsProjection.name],
  );
  const row = rows[0];
  return { conversationIds: row?.ids ?? [], position: BigInt(row?.position ?? 0) };
}
