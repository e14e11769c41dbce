import type { ConversationKind, MemberRole } from '../../domain/conversation/conversation.events.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { loadMessagesByIds } from '../messages/message-rows.js';
import { checkLimit } from '../paging.js';
import { isUuid, toIso } from '../sql-values.js';
import { decodeConversationCursor, encodeConversationCursor } from './conversation-cursor.js';
import type {
  ConversationDetailView,
  ConversationPage,
  ConversationView,
  MemberView,
  ReadMarkerView,
} from './conversation.view.js';

export interface ListConversationsOptions {
  /** 1 to 200. */
  limit: number;
  /** `nextCursor` of the previous page; absent (or null) for the first page. */
  cursor?: string | null;
}

/** A conversation joined with the asking user's membership row (`m`). */
interface ConversationRow {
  id: string;
  kind: ConversationKind;
  title: string | null;
  created_at: Date;
  last_seq: number;
  last_rev: number;
  last_message_id: string | null;
  activity_micros: string;
  read_seq: number;
}

interface MemberRow {
  conversation_id: string;
  user_id: string;
  role: MemberRole;
  joined_at: Date;
  read_seq: number;
}

const CONVERSATION_COLUMNS = `c.id, c.kind, c.title, c.created_at, c.last_seq, c.last_rev, c.last_message_id,
  (extract(epoch from c.last_activity_at) * 1000000)::bigint::text as activity_micros, m.read_seq`;

/**
 * The conversations `userId` is a member of, most recent activity first (ties by
 * id, so pages are stable). Throws `ValidationError` for a bad limit or a cursor
 * this server did not make (field `cursor`).
 */
export async function listConversations(
  db: SqlExecutor,
  userId: string,
  options: ListConversationsOptions,
): Promise<ConversationPage> {
  const limit = checkLimit(options.limit);
  const after =
    options.cursor === undefined || options.cursor === null ? null : decodeConversationCursor(options.cursor);
  if (!isUuid(userId)) return { items: [], nextCursor: null };

  const rows = await db.query<ConversationRow>(
    `select ${CONVERSATION_COLUMNS}
       from conversation_members m join conversations c on c.id = m.conversation_id
      where m.user_id = $1
        and ($2::bigint is null
             or (c.last_activity_at, c.id) < (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::uuid))
      order by c.last_activity_at desc, c.id desc
      limit $4`,
    [userId, after?.activityMicros ?? null, after?.id ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const { views } = await toConversationViews(db, page);
  return {
    items: views,
    nextCursor:
      rows.length > limit && last
        ? encodeConversationCursor({ activityMicros: last.activity_micros, id: last.id })
        : null,
  };
}

/**
 * One conversation with every member's read marker, or null when it does not
 * exist or `userId` is not a member: callers answer 404 either way, so a
 * non-member learns nothing about it.
 */
export async function getConversation(
  db: SqlExecutor,
  userId: string,
  conversationId: string,
): Promise<ConversationDetailView | null> {
  if (!isUuid(userId) || !isUuid(conversationId)) return null;
  const rows = await db.query<ConversationRow>(
    `select ${CONVERSATION_COLUMNS}
       from conversations c join conversation_members m on m.conversation_id = c.id and m.user_id = $1
      where c.id = $2`,
    [userId, conversationId],
  );
  const { views, members } = await toConversationViews(db, rows);
  const [view] = views;
  if (!view) return null;
  const readMarkers: ReadMarkerView[] = (members.get(view.id) ?? []).map((member) => ({
    userId: member.user_id,
    seq: member.read_seq,
  }));
  return { ...view, readMarkers };
}

/** Whether `userId` is a member of the conversation now: the one-row check before reading its messages. */
export async function isMember(db: SqlExecutor, userId: string, conversationId: string): Promise<boolean> {
  if (!isUuid(userId) || !isUuid(conversationId)) return false;
  const rows = await db.query(
    'select 1 from conversation_members where conversation_id = $1 and user_id = $2',
    [conversationId, userId],
  );
  return rows.length > 0;
}

/** Adds members and last messages to conversation rows: two queries for the whole page (three with reactions). */
async function toConversationViews(
  db: SqlExecutor,
  rows: readonly ConversationRow[],
): Promise<{ views: ConversationView[]; members: Map<string, MemberRow[]> }> {
  const members = new Map<string, MemberRow[]>();
  if (rows.length === 0) return { views: [], members };
  const memberRows = await db.query<MemberRow>(
    `select conversation_id, user_id, role, joined_at, read_seq from conversation_members
      where conversation_id = any($1::uuid[])
      order by conversation_id, joined_rev, joined_index`,
    [rows.map((row) => row.id)],
  );
  for (const member of memberRows) {
    const list = members.get(member.conversation_id);
    if (list) list.push(member);
    else members.set(member.conversation_id, [member]);
  }
  const lastMessages = await loadMessagesByIds(
    db,
    rows.flatMap((row) => (row.last_message_id ? [row.last_message_id] : [])),
  );
  const views = rows.map((row): ConversationView => {
    const memberViews: MemberView[] = (members.get(row.id) ?? []).map((member) => ({
      userId: member.user_id,
      role: member.role,
      joinedAt: toIso(member.joined_at),
    }));
    return {
      id: row.id,
      kind: row.kind,
      title: row.title,
      members: memberViews,
      createdAt: toIso(row.created_at),
      lastSeq: row.last_seq,
      lastRev: row.last_rev,
      // Null also while the messages projection has not caught up with the newest message.
      lastMessage: row.last_message_id ? (lastMessages.get(row.last_message_id) ?? null) : null,
      readSeq: row.read_seq,
      unreadCount: Math.max(0, row.last_seq - row.read_seq),
    };
  });
  return { views, members };
}
