import pg from 'pg';
import type { UnreadCounters } from '../../../infra/unread/unread-counters.js';
import { waitFor } from '../../support/wait-for.js';

/** A send the server acknowledged: what the client was told. */
export interface AckedSend {
  conversationId: string;
  clientMsgId: string;
  messageId: string;
  seq: number;
}

/** What the log and the read models say about a set of acknowledged sends. */
export interface MessageAudit {
  /** Acked, yet no MessageSent in the log carries its clientMsgId. */
  lost: AckedSend[];
  /** clientMsgIds with more than one MessageSent in the log. */
  doubled: string[];
  /** Acked with a messageId or seq other than the one the log holds. */
  mismatched: AckedSend[];
  /** Conversations whose seqs in the log are not exactly 1..n. */
  seqGaps: string[];
  /** Messages in the log: a conversation's count is its highest seq when there is no gap. */
  logged: number;
}

interface LoggedMessage {
  conversationId: string;
  messageId: string;
  seq: number;
  clientMsgId: string;
}

/** A client of the database the server runs on, for reading its log and read models directly. */
export async function openDatabase(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function loggedMessages(db: pg.Client, conversationIds: readonly string[]): Promise<LoggedMessage[]> {
  const { rows } = await db.query<{ stream_name: string; data: Record<string, unknown> }>(
    `select stream_name, data from es_events
      where type = 'MessageSent' and stream_name = any($1::text[]) order by position`,
    [conversationIds.map((id) => `conversation-${id}`)],
  );
  return rows.map((row) => ({
    conversationId: row.stream_name.slice('conversation-'.length),
    messageId: String(row.data.messageId),
    seq: Number(row.data.seq),
    clientMsgId: String(row.data.clientMsgId),
  }));
}

/** Compares the acknowledged sends with the event log: the source of truth, readable while the server is down. */
export async function auditLog(
  db: pg.Client,
  conversationIds: readonly string[],
  acked: Iterable<AckedSend>,
): Promise<MessageAudit> {
  const logged = await loggedMessages(db, conversationIds);
  const byClientMsgId = new Map<string, LoggedMessage[]>();
  for (const message of logged) {
    const same = byClientMsgId.get(message.clientMsgId) ?? [];
    same.push(message);
    byClientMsgId.set(message.clientMsgId, same);
  }
  const audit: MessageAudit = { lost: [], doubled: [], mismatched: [], seqGaps: [], logged: logged.length };
  for (const [clientMsgId, messages] of byClientMsgId)
    if (messages.length > 1) audit.doubled.push(clientMsgId);
  for (const send of acked) {
    const found = byClientMsgId.get(send.clientMsgId)?.[0];
    if (!found) audit.lost.push(send);
    else if (found.messageId !== send.messageId || found.seq !== send.seq) audit.mismatched.push(send);
  }
  for (const conversationId of conversationIds) {
    const seqs = logged
      .filter((message) => message.conversationId === conversationId)
      .map((message) => message.seq)
      .sort((a, b) => a - b);
    if (seqs.some((seq, index) => seq !== index + 1)) audit.seqGaps.push(conversationId);
  }
  return audit;
}

/**
 * Waits until every projection's checkpoint (the runner's table, and the unread
 * counters' own in Redis when given) has reached the log's head. Nothing may be
 * appending meanwhile (close the clients first: the head would keep moving).
 */
export async function waitForProjectionsAtHead(
  db: pg.Client,
  unread: UnreadCounters | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  let behind = '';
  try {
    await waitFor(
      'every projection at the head of the log',
      async () => {
        const [{ head }] = (
          await db.query<{ head: string | null }>('select max(position) as head from es_events')
        ).rows as [{ head: string | null }];
        const { rows } = await db.query<{ name: string; position: string }>(
          'select name, position from projection_checkpoints order by name',
        );
        const unreadAt = unread ? String(await unread.checkpoint()) : head;
        const lagging = rows
          .filter((row) => row.position !== head)
          .map((row) => `${row.name}@${row.position}`);
        if (unreadAt !== head) lagging.push(`unread@${unreadAt}`);
        behind = `head ${head}: ${lagging.join(', ')}`;
        return rows.length > 0 && lagging.length === 0;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (${behind})`, { cause: error });
  }
}

/**
 * The messages read model against the log: the same (id, seq, clientMsgId) rows,
 * no more, no fewer. Returns a description of each difference (none: empty).
 */
export async function compareMessagesWithLog(
  db: pg.Client,
  conversationIds: readonly string[],
): Promise<string[]> {
  const logged = await loggedMessages(db, conversationIds);
  const { rows } = await db.query<{
    conversation_id: string;
    id: string;
    seq: number;
    client_msg_id: string;
  }>(
    `select conversation_id, id, seq, client_msg_id from messages
      where conversation_id = any($1::uuid[]) order by conversation_id, seq`,
    [conversationIds],
  );
  const key = (m: { conversationId: string; messageId: string; seq: number; clientMsgId: string }) =>
    `${m.conversationId}/${m.seq}/${m.messageId}/${m.clientMsgId}`;
  const inLog = new Set(logged.map(key));
  const inTable = rows.map((row) =>
    key({
      conversationId: row.conversation_id,
      messageId: row.id,
      seq: row.seq,
      clientMsgId: row.client_msg_id,
    }),
  );
  const problems: string[] = [];
  if (new Set(inTable).size !== inTable.length) problems.push('the messages table holds a row twice');
  for (const row of inTable) if (!inLog.has(row)) problems.push(`in the table, not in the log: ${row}`);
  const tableSet = new Set(inTable);
  for (const row of inLog) if (!tableSet.has(row)) problems.push(`in the log, not in the table: ${row}`);
  return problems;
}

/**
 * Unread counters in Redis against the Postgres read model, member by member:
 * the same last seq and read seq (so the same unread count). Returns the differences.
 */
export async function compareUnreadCounters(
  db: pg.Client,
  unread: UnreadCounters,
  conversationIds: readonly string[],
): Promise<string[]> {
  const { rows } = await db.query<{
    conversation_id: string;
    user_id: string;
    last_seq: number;
    read_seq: number;
  }>(
    `select c.id as conversation_id, m.user_id, c.last_seq, m.read_seq
       from conversations c join conversation_members m on m.conversation_id = c.id
      where c.id = any($1::uuid[])`,
    [conversationIds],
  );
  const problems: string[] = [];
  for (const row of rows) {
    const state = await unread.readState(row.user_id, row.conversation_id);
    if (!state || state.lastSeq !== row.last_seq || state.readSeq !== row.read_seq)
      problems.push(
        `${row.conversation_id}/${row.user_id}: postgres ${row.last_seq}/${row.read_seq}, redis ${state ? `${state.lastSeq}/${state.readSeq}` : 'none'}`,
      );
  }
  if (rows.length === 0) problems.push('no members in the read model');
  return problems;
}
