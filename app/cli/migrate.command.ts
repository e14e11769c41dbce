import { migrate } from '../../infra/sql/migrate.js';
import { runnerMigrations } from '../../projections/runner/runner.schema.js';
import { type CliCommand, EXIT_OK, parseCommandArgs, UsageError } from './cli-command.js';
import { withCliSession } from './cli-session.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'create or update every table (event store, accounts, projections) and exit',
  usage: `parley migrate

  Applies the migrations not applied yet, the same ones a starting server applies,
  under the same advisory lock: safe while other instances run or start.`,
  async run(args, io) {
    const parsed = parseCommandArgs(args, {});
    if (!parsed) {
      io.out(`${this.usage}\n`);
      return EXIT_OK;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${parsed.positionals[0]}`);
    // Opening the session migrates the event store and every feature's own tables.
    const names = await withCliSession(async ({ sql, projections }) => {
      // The component names the projection runner uses, so that its start finds them applied.
      await migrate(sql, 'projection-runner', runnerMigrations);
      for (const projection of projections)
        await migrate(sql, `projection:${projection.name}`, projection.migrations);
      return projections.map((projection) => projection.name);
    });
    io.out(`migrated: event store, features, projections (${names.join(', ')})\n`);
    return EXIT_OK;
  },
};
