import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import {
  type CliCommand,
  EXIT_FAILURE,
  EXIT_OK,
  json,
  parseCommandArgs,
  parseId,
  UsageError,
} from './cli-command.js';
import { withCliSession } from './cli-session.js';
import { NoSuchStreamError, readStreamHistory } from './stream-history.js';

/** The credentials row, named column by column so that the password hash can never slip in. */
function readAccount(db: SqlExecutor, userId: string) {
  return db.query<{ userId: string; email: string; username: string; createdAt: Date }>(
    `select user_id as "userId", email, username, created_at as "createdAt" from accounts where user_id = $1`,
    [userId],
  );
}

function readConversations(db: SqlExecutor, userId: string) {
  return db.query(
    `select c.id, c.kind, c.title, c.created_at as "createdAt", m.role, m.joined_at as "joinedAt",
            m.read_seq as "readSeq"
       from conversation_members m join conversations c on c.id = m.conversation_id
      where m.user_id = $1 order by c.created_at, c.id`,
    [userId],
  );
}

function readSentMessages(db: SqlExecutor, userId: string) {
  return db.query(
    `select id, conversation_id as "conversationId", seq, client_msg_id as "clientMsgId", body, attachments,
            reply_to as "replyTo", created_at as "createdAt", edited_at as "editedAt", deleted
       from messages where sender_id = $1 order by created_at, conversation_id, seq`,
    [userId],
  );
}

export const exportUserCommand: CliCommand = {
  name: 'export-user',
  summary: "print all of a user's data as JSON (for access requests)",
  usage: `parley export-user <user id>

  Prints one JSON document: the account (without its password hash), the profile
  events of the user's stream, the conversations the user is a member of now, and
  every message the user sent, as the read models show them now.`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, {});
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    const [idArgument, extra] = parsed.positionals;
    const userId = parseId(idArgument, 'user id');
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    const exported = await withCliSession(async ({ sql, eventStore }) => {
      const [account] = await readAccount(sql, userId);
      if (!account) return undefined;
      const profileEvents = await readStreamHistory(eventStore, `user-${userId}`).catch((error: unknown) => {
        if (error instanceof NoSuchStreamError) return [];
        throw error;
      });
      return {
        exportedAt: new Date().toISOString(),
        account,
        profileEvents: profileEvents.map((event) => ({
          type: event.type,
          time: event.createdAt.toISOString(),
          data: event.data,
        })),
        conversations: await readConversations(sql, userId),
        messages: await readSentMessages(sql, userId),
      };
    });
    if (!exported) {
      io.err(`no user ${userId}\n`);
      return EXIT_FAILURE;
    }
    io.out(`${json(exported)}\n`);
    return EXIT_OK;
  },
};
