import { type CliCommand, EXIT_OK, parseCommandArgs, UsageError } from './cli-command.js';

const ROLES = ['api', 'realtime', 'projector'] as const;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the server (what npm start does), configured by the environment',
  usage: `parley serve [--role api|realtime|projector ...]

  Runs every role in one process, configured by the environment (see README.md).
  --role is accepted so deployments can name the role a replica is meant for;
  until roles are split, every process still runs all of them (a warning says so).`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, { role: { type: 'string', multiple: true } });
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${parsed.positionals[0]}`);
    const roles = parsed.values.role ?? [];
    const unknown = roles.find((role) => !(ROLES as readonly string[]).includes(role));
    if (unknown !== undefined) throw new UsageError(`unknown role ${unknown} (one of ${ROLES.join(', ')})`);
    if (roles.length > 0)
      io.err(`parley: --role ${roles.join(',')} is not split out yet: this process runs every role\n`);
    // The server's own entry point: it runs until a signal stops it and exits by itself.
    await import('../main.js');
    return new Promise<number>(() => {});
  },
};
