import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import { type CliCommand, EXIT_OK, parseCommandArgs, parseTime, UsageError } from './cli-command.js';
import { withCliSession } from './cli-session.js';
import { readStreamHistory } from './stream-history.js';

/** One line of the audit trail: who did what, when, and which request caused it. */
export interface AuditEntry {
  time: string;
  stream: string;
  revision: number;
  position: string;
  type: string;
  actorId: string | null;
  correlationId: string | null;
  data: unknown;
}

function auditEntry(event: RecordedEvent): AuditEntry {
  const { actorId, correlationId } = event.metadata;
  return {
    time: event.createdAt.toISOString(),
    stream: event.stream,
    revision: event.revision,
    position: event.position.toString(),
    type: event.type,
    actorId: typeof actorId === 'string' ? actorId : null,
    correlationId: typeof correlationId === 'string' ? correlationId : null,
    data: event.data,
  };
}

function formatLine(entry: AuditEntry): string {
  return [
    entry.time,
    `#${entry.revision}`,
    entry.type,
    `actor=${entry.actorId ?? '-'}`,
    `correlation=${entry.correlationId ?? '-'}`,
    JSON.stringify(entry.data),
  ].join('  ');
}

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'print the audit trail of one stream: time, type, actor, correlation id, data',
  usage: `parley replay --stream <name> [--until <iso time>] [--json]

  --stream <name>   the stream, e.g. conversation-<uuid> or user-<uuid>
  --until <time>    only events that entered the log at or before this ISO-8601 time
  --json            one JSON object per line instead of text`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, {
      stream: { type: 'string' },
      until: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    const { stream, until, json } = parsed.values;
    if (!stream) throw new UsageError('--stream is required');
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${parsed.positionals[0]}`);
    const untilTime = until === undefined ? undefined : parseTime(until, '--until');
    const events = await withCliSession((session) =>
      readStreamHistory(session.eventStore, stream, untilTime),
    );
    for (const entry of events.map(auditEntry))
      io.out(`${json ? JSON.stringify(entry) : formatLine(entry)}\n`);
    return EXIT_OK;
  },
};
