import {
  type CliCommand,
  type CommandIo,
  EXIT_FAILURE,
  EXIT_OK,
  json,
  parseCommandArgs,
  parseId,
  parseTime,
  UsageError,
} from './cli-command.js';
import { withCliSession } from './cli-session.js';
import { foldConversation, type ConversationAsOf } from './conversation-as-of.js';
import { readStreamHistory } from './stream-history.js';

function printText(io: CommandIo, conversation: ConversationAsOf, at: Date): void {
  io.out(`conversation ${conversation.id} as of ${at.toISOString()} (rev ${conversation.rev})\n`);
  io.out(
    `  ${conversation.kind}, title: ${conversation.title ?? '(none)'}, created ${conversation.createdAt}\n`,
  );
  io.out(`members:\n`);
  for (const member of conversation.members)
    io.out(`  ${member.userId}  ${member.role}  joined ${member.joinedAt}\n`);
  io.out(`messages:\n`);
  for (const message of conversation.messages) {
    const body = message.deleted ? '(deleted)' : JSON.stringify(message.body);
    const edited = message.editedAt ? ` (edited ${message.editedAt})` : '';
    io.out(`  #${message.seq}  ${message.sentAt}  ${message.senderId}: ${body}${edited}\n`);
  }
}

export const conversationAtCommand: CliCommand = {
  name: 'conversation-at',
  summary: 'show a conversation exactly as it stood at a time, from the event log',
  usage: `parley conversation-at <conversation id> <iso time> [--json]

  Folds the conversation's events up to that time (when each entered the log)
  and prints its members, title and messages with their bodies as of then.
  --json   print the conversation as JSON`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, { json: { type: 'boolean' } });
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    const [idArgument, timeArgument, extra] = parsed.positionals;
    const id = parseId(idArgument, 'conversation id');
    if (timeArgument === undefined) throw new UsageError('missing the time');
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    const at = parseTime(timeArgument, 'the time');
    const events = await withCliSession((session) =>
      readStreamHistory(session.eventStore, `conversation-${id}`, at),
    );
    const conversation = foldConversation(id, events);
    if (!conversation) {
      io.err(`conversation ${id} did not exist at ${at.toISOString()}\n`);
      return EXIT_FAILURE;
    }
    if (parsed.values.json) io.out(`${json(conversation)}\n`);
    else printText(io, conversation, at);
    return EXIT_OK;
  },
};
