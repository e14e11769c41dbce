import { ConfigError } from '../../infra/config/config.js';
import {
  type CliCommand,
  type CommandIo,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
} from './cli-command.js';
import { analyticsCommand } from './analytics.command.js';
import { conversationAtCommand } from './conversation-at.command.js';
import { exportUserCommand } from './export-user.command.js';
import { migrateCommand } from './migrate.command.js';
import { projectionsCommand } from './projections.command.js';
import { replayCommand } from './replay.command.js';
import { serveCommand } from './serve.command.js';
import { NoSuchStreamError } from './stream-history.js';

const commands: readonly CliCommand[] = [
  serveCommand,
  migrateCommand,
  projectionsCommand,
  replayCommand,
  conversationAtCommand,
  exportUserCommand,
  analyticsCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `usage: parley <command> [options]   (parley <command> --help for each)

commands:
${lines.join('\n')}

Configured by the environment, like the server (DATABASE_URL, EVENTSTORE_URL, ...).
Exit codes: 0 done, 1 failed, 2 bad usage.
`;
}

/** Runs one invocation and resolves to its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name !== undefined) {
      io.out(overview());
      return EXIT_OK;
    }
    io.err(overview());
    return EXIT_USAGE;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    io.err(`parley: unknown command "${name}"\n\n${overview()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`parley ${name}: ${error.message}\n\nusage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.err(`parley ${name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof NoSuchStreamError) {
      io.err(`parley ${name}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    io.err(
      `parley ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_FAILURE;
  }
}

const io: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

// Not `process.exit(code)` at once: it could cut stdout short when piped.
process.exitCode = await runCli(process.argv.slice(2), io);
