import type { Config } from '../../infra/config/config.js';
import type { EventStore } from '../../infra/eventstore/event-store.js';
import type { SqlClient } from '../../infra/sql/sql-client.js';
import type { Projection } from '../../projections/projection.js';

/** What the tool commands work on: the same engines and features `serve` would use. */
export interface CliSession {
  config: Config;
  sql: SqlClient;
  eventStore: EventStore;
  /** Every projection the features register, in registration order. */
  projections: readonly Projection[];
  close(): Promise<void>;
}

/**
 * Composes Parley from the environment exactly as `serve` does (so the engines and
 * the migrations the features run are the same) without listening or projecting.
 * Logs go to stderr, at `warn` unless LOG_LEVEL asks for more: stdout is the output.
 * The application is imported here, not at the top: `--help` and usage errors
 * answer without loading it.
 */
export async function openCliSession(environment: NodeJS.ProcessEnv = process.env): Promise<CliSession> {
  const [{ pino }, { loadConfig }, { composeParley }, { allFeatures }, { ProjectionHub }] = await Promise.all(
    [
      import('pino'),
      import('../../infra/config/config.js'),
      import('../compose.js'),
      import('../features.js'),
      import('../projection-hub.js'),
    ],
  );

  /** Remembers what the features register, and never runs it: a tool must not project. */
  class RecordingHub extends ProjectionHub {
    readonly registered: Projection[] = [];

    override register(...projections: Projection[]): void {
      this.registered.push(...projections);
      super.register(...projections);
    }

    override start(): Promise<void> {
      return Promise.reject(new Error('the CLI never runs projections'));
    }
  }

  const config = loadConfig(environment);
  const level = environment.LOG_LEVEL ? config.LOG_LEVEL : 'warn';
  const logger = pino({ level }, pino.destination(2));
  let hub: RecordingHub | undefined;
  const parley = await composeParley(config, logger, allFeatures, (deps) => (hub = new RecordingHub(deps)));
  const { sql, eventStore } = parley.infrastructure;
  return {
    config,
    sql,
    eventStore,
    projections: hub?.registered ?? [],
    close: () => parley.close(),
  };
}

/** Runs `work` in a session and always closes it. */
export async function withCliSession<T>(work: (session: CliSession) => Promise<T>): Promise<T> {
  const session = await openCliSession();
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
