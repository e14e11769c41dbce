import { readProjectionStatus } from '../../projections/runner/projection-status.js';
import { type CliCommand, EXIT_OK, json, parseCommandArgs, UsageError } from './cli-command.js';
import { withCliSession } from './cli-session.js';
import { rebuildCommand, replayParkedCommand } from './projection-maintenance.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const projectionsCommand: CliCommand = {
  name: 'projections',
  summary: 'projections list | rebuild <name> | replay-parked <name>: the read models behind the API',
  usage: `parley projections list [--json]
       parley projections rebuild <name>
       parley projections replay-parked <name>

  list: one line per projection the server runs: name, version, checkpoint (global
  position), lag in events and seconds behind the log's head, parked events.
  A projection that never ran shows checkpoint 0.

  rebuild: builds the projection's next version from the start of the log into new
  tables while the current ones keep serving (and the server keeps updating them),
  then swaps them in at once. Progress on stderr; the outcome on stdout. Exit 1 when
  the projection is unknown, already being rebuilt, or kept outside SQL
  (Elasticsearch). Ctrl-C stops it and leaves the current tables.

  replay-parked: applies the projection's parked events (those it failed on) again,
  oldest first. Exit 1 when some fail again: they stay parked.`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, { json: { type: 'boolean' } });
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    const [subcommand, ...rest] = parsed.positionals;
    if (subcommand === 'rebuild' || subcommand === 'replay-parked') {
      const [name, extra] = rest;
      if (name === undefined)
        throw new UsageError(`missing projection name (parley projections list shows them)`);
      if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
      if (parsed.values.json) throw new UsageError(`--json is an option of list only`);
      return subcommand === 'rebuild'
        ? rebuildCommand(name, io, process.stderr.isTTY === true)
        : replayParkedCommand(name, io);
    }
    if (subcommand !== 'list')
      throw new UsageError(
        subcommand ? `unknown subcommand ${subcommand}` : 'missing subcommand (list, rebuild, replay-parked)',
      );
    const [extra] = rest;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
    const statuses = await withCliSession(async ({ sql, eventStore, projections }) => {
      // Before the first start the runner's tables do not exist yet: nothing has run.
      const [tables] = await sql.query<{ ready: boolean }>(
        `select to_regclass('projection_checkpoints') is not null as ready`,
      );
      if (!tables?.ready)
        return projections.map((p) => ({
          name: p.name,
          version: p.version,
          checkpoint: '0',
          lagEvents: 0,
          lagSeconds: 0,
          parked: 0,
        }));
      // Another process runs them: this one only reads their state, so there is no running status here.
      const all = await readProjectionStatus(sql, eventStore, projections, false);
      return all.map(({ status: _status, ...rest }) => rest);
    });
    if (parsed.values.json) {
      io.out(`${json(statuses)}\n`);
      return EXIT_OK;
    }
    const header = ['NAME', 'VERSION', 'CHECKPOINT', 'LAG (EVENTS)', 'LAG (S)', 'PARKED'];
    const rows = statuses.map((s) => [
      s.name,
      String(s.version),
      s.checkpoint,
      String(s.lagEvents),
      s.lagSeconds.toFixed(1),
      String(s.parked),
    ]);
    io.out(`${table([header, ...rows])}\n`);
    return EXIT_OK;
  },
};
