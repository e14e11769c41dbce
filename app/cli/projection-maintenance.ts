import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection } from '../../projections/projection.js';
import { startProjectionRebuild } from '../../projections/rebuild/projection-rebuild.js';
import {
  NotRebuildableError,
  RebuildInProgressError,
  UnknownProjectionError,
} from '../../projections/rebuild/rebuild-errors.js';
import { nextTablesVersion } from '../../projections/rebuild/tables-version.js';
import { readCheckpoints } from '../../projections/runner/checkpoints.js';
import { listParked } from '../../projections/runner/parked-events.js';
import { ProjectionRunner } from '../../projections/runner/projection-runner.js';
import { type CommandIo, EXIT_FAILURE, EXIT_OK } from './cli-command.js';
import { withCliSession } from './cli-session.js';
import { RebuildProgressView } from './rebuild-progress.js';

function find(projections: readonly Projection[], name: string): Projection {
  const projection = projections.find((candidate) => candidate.name === name);
  if (!projection) throw new UnknownProjectionError(name);
  return projection;
}

/** Refusals are answers, not crashes: one line on stderr and exit code 1, no stack. */
function refusal(error: unknown, io: CommandIo, projections: readonly Projection[]): number | undefined {
  if (error instanceof UnknownProjectionError) {
    io.err(
      `parley projections: ${error.message} (known: ${projections.map((projection) => projection.name).join(', ')})\n`,
    );
    return EXIT_FAILURE;
  }
  if (error instanceof RebuildInProgressError || error instanceof NotRebuildableError) {
    io.err(`parley projections: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  return undefined;
}

async function tableExists(sql: SqlExecutor, table: string): Promise<boolean> {
  const [row] = await sql.query<{ present: boolean }>(`select to_regclass($1) is not null as present`, [
    table,
  ]);
  return row?.present === true;
}

/**
 * `parley projections rebuild <name>`: builds the projection's next version beside
 * the live one (which keeps serving, and keeps being projected by the server), then
 * swaps it in. Ctrl-C stops it cleanly: the live tables stay.
 */
export async function rebuildCommand(name: string, io: CommandIo, terminal: boolean): Promise<number> {
  return withCliSession(async ({ sql, eventStore, projections }) => {
    try {
      const projection = find(projections, name);
      const fromVersion = (await tableExists(sql, 'projection_checkpoints'))
        ? ((await readCheckpoints(sql, [name])).get(name)?.version ?? projection.version)
        : projection.version;
      const view = new RebuildProgressView((text) => io.err(text), terminal);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      const rebuild = startProjectionRebuild({
        sql,
        eventStore,
        projection,
        toVersion: nextTablesVersion(fromVersion, projection.version),
        signal: abort.signal,
        onProgress: (progress) => view.update(progress),
      });
      try {
        const result = await rebuild.done;
        view.finish();
        const rate = result.seconds > 0 ? Math.round(result.applied / result.seconds) : result.applied;
        io.out(
          `rebuilt ${name}: version ${fromVersion} -> ${nextTablesVersion(fromVersion, projection.version)}, ${result.applied} events replayed ` +
            `in ${result.seconds.toFixed(1)} s (${rate} events/s) up to position ${result.position}, ` +
            `${result.parked} parked\n`,
        );
        return EXIT_OK;
      } finally {
        view.finish();
        process.off('SIGINT', stop);
      }
    } catch (error) {
      const code = refusal(error, io, projections);
      if (code === undefined) throw error;
      return code;
    }
  });
}

/**
 * `parley projections replay-parked <name>`: applies the projection's parked events
 * again, oldest first. Exit code 1 when some fail again (they stay parked).
 */
export async function replayParkedCommand(name: string, io: CommandIo): Promise<number> {
  return withCliSession(async ({ sql, eventStore, projections }) => {
    try {
      find(projections, name);
      if (!(await tableExists(sql, 'projection_parked'))) {
        io.out(`no parked events for ${name}\n`);
        return EXIT_OK;
      }
      const parked = (await listParked(sql, name)).length;
      if (parked === 0) {
        io.out(`no parked events for ${name}\n`);
        return EXIT_OK;
      }
      // Only its replay is used: nothing is started, so nothing else is projected from here.
      const runner = new ProjectionRunner({ sql, eventStore, projections });
      const replayed = await runner.replayParked(name);
      const left = (await listParked(sql, name)).length;
      io.out(`replayed ${replayed} of ${parked} parked events of ${name}; ${left} still parked\n`);
      if (left > 0) {
        io.err(`parley projections: ${left} parked events of ${name} failed again (see projections list)\n`);
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    } catch (error) {
      const code = refusal(error, io, projections);
      if (code === undefined) throw error;
      return code;
    }
  });
}
