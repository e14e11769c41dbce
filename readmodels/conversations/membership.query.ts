import type { SqlExecutor } from '../../infra/sql/sql-client.js';

/** The conversations a user is a member of, read from the read model at `position` (its checkpoint). */
export interface MembershipSnapshot {
  conversationIds: readonly string[];
  /** The checkpoint of the projection that writes `conversation_members`, read in the same statement. */
  position: bigint;
}

/**
 * The conversations `userId` is a member of, with the position the read model
 * stood at when they were read. One statement, so both come from one snapshot:
 * the projection writes its rows and its checkpoint in one transaction.
 */
export async function getMembershipSnapshot(
  db: SqlExecutor,
  userId: string,
  projectionName: string,
): Promise<MembershipSnapshot> {
  const rows = await db.query<{ position: string | number | null; ids: string[] | null }>(
    `select (select position from projection_checkpoints where name = $2) as position,
            array(select conversation_id::text from conversation_members where user_id = $1::uuid) as ids`,
    [userId, projectionName],
  );
  const row = rows[0];
  return { conversationIds: row?.ids ?? [], position: BigInt(row?.position ?? 0) };
}
