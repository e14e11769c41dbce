import { parseRoleList, ROLES } from '../roles.js';
import { type CliCommand, EXIT_OK, parseCommandArgs, UsageError } from './cli-command.js';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the server (what npm start does), configured by the environment',
  usage: `parley serve [--role api|realtime|projector ...]

  Runs the server, configured by the environment (see README.md).
  --role    what this process runs; repeat it or give a comma list. Default: every
            role, or the ones PARLEY_ROLES lists. --role wins over PARLEY_ROLES.
              api        the REST API
              realtime   the WebSocket (/v1/ws), live fan-out, presence, typing
              projector  the projections and their background work; with several
                         projector processes one runs them and the others stand by
  Embedded mode (no DATABASE_URL) always runs every role in one process.
  SIGTERM or SIGINT shut it down gracefully, then it exits 0.`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, { role: { type: 'string', multiple: true } });
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${parsed.positionals[0]}`);
    const { roles, unknown } = parseRoleList(parsed.values.role ?? []);
    if (unknown.length > 0) throw new UsageError(`unknown role ${unknown[0]} (one of ${ROLES.join(', ')})`);
    if (parsed.values.role !== undefined && roles.length === 0) throw new UsageError('--role names no role');
    // The server reads its configuration from the environment, roles included.
    if (roles.length > 0) process.env.PARLEY_ROLES = roles.join(',');
    // The server's own entry point: it runs until a signal stops it and exits by itself.
    await import('../main.js');
    return new Promise<number>(() => {});
  },
};
