import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { loadAttachmentViews } from '../attachments/attachment-views.js';
import { toIso } from '../sql-values.js';
import type { MessageView } from './message.view.js';

/** The columns every message query selects, in the shape `toMessageViews` reads. */
export const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.body,
  m.attachments, m.reply_to, m.created_at, m.edited_at, m.deleted`;

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string;
  body: string | null;
  attachments: string[];
  reply_to: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted: boolean;
}

/** Turns rows into PROTOCOL.md messages, loading the reactions of all of them in one query. */
export async function toMessageViews(db: SqlExecutor, rows: readonly MessageRow[]): Promise<MessageView[]> {
  const withReactions = rows.filter((row) => !row.deleted).map((row) => row.id);
  const reactions = new Map<string, Record<string, string[]>>();
  if (withReactions.length > 0) {
    // Oldest reaction first: an emoji's place in the map is when it was first used.
    const reactionRows = await db.query<{ message_id: string; emoji: string; user_id: string }>(
      `select message_id, emoji, user_id from message_reactions
        where message_id = any($1::uuid[]) order by message_id, created_at, emoji, user_id`,
      [withReactions],
    );
    for (const { message_id, emoji, user_id } of reactionRows) {
      let byEmoji = reactions.get(message_id);
      if (!byEmoji) reactions.set(message_id, (byEmoji = {}));
      (byEmoji[emoji] ??= []).push(user_id);
    }
  }
  const attachments = await loadAttachmentViews(
    db,
    rows.flatMap((row) => (row.deleted ? [] : row.attachments)),
  );
  return rows.map((row) => ({
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    clientMsgId: row.client_msg_id,
    body: row.deleted ? null : row.body,
    attachments: row.deleted ? [] : row.attachments.flatMap((key) => attachments.get(key) ?? []),
    replyTo: row.reply_to,
    reactions: reactions.get(row.id) ?? {},
    createdAt: toIso(row.created_at),
    editedAt: row.edited_at === null ? null : toIso(row.edited_at),
    deleted: row.deleted,
  }));
}

/** Messages by id (for conversations' `lastMessage`), keyed by id. */
export async function loadMessagesByIds(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, MessageView>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from messages m where m.id = any($1::uuid[])`,
    [ids],
  );
  const views = await toMessageViews(db, rows);
  return new Map(views.map((view) => [view.id, view]));
}
