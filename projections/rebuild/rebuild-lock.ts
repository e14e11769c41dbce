import { randomUUID } from 'node:crypto';
import type { Migration } from '../../infra/sql/migrate.js';
import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';

/** A lease not renewed for this long is free again (its holder crashed or lost the database). */
const LEASE_SECONDS = 60;
/** Renewals come this often: several chances before the lease runs out. */
const RENEW_EVERY_MS = 10_000;

/** Who is rebuilding what, across every process on the database. */
export const rebuildLockMigrations: Migration[] = [
  {
    id: '001-rebuild-leases',
    sql: `
      create table projection_rebuild_leases (
        projection text primary key,
        -- A random id per rebuild: only its holder renews, checks or releases it.
        holder text not null,
        expires_at timestamptz not null
      );
    `,
  },
];

/** Rebuilds running in this process, per database client. */
const running = new WeakMap<SqlClient, Set<string>>();

/**
 * Claims the rebuild of `projection` in this process, synchronously, so that a
 * second request is refused at once. Returns the release, or undefined when the
 * projection is already claimed here.
 */
export function claimInProcess(sql: SqlClient, projection: string): (() => void) | undefined {
  let names = running.get(sql);
  if (!names) running.set(sql, (names = new Set()));
  if (names.has(projection)) return undefined;
  names.add(projection);
  return () => names.delete(projection);
}

/** The rebuild's lease was taken over (it expired): this rebuild must not switch. */
export class RebuildLeaseLostError extends Error {
  constructor(readonly projection: string) {
    super(`the rebuild of ${projection} lost its lease (not renewed in ${LEASE_SECONDS} s)`);
  }
}

export interface RebuildLease {
  /** Throws `RebuildLeaseLostError` unless the lease is still ours; locks its row until `tx` ends. */
  confirm(tx: SqlExecutor): Promise<void>;
  release(): Promise<void>;
}

/**
 * Claims the rebuild of `projection` across every process on the database: a
 * lease row, renewed while the rebuild runs. A lease rather than an advisory
 * lock: a session lock needs a connection of its own for the whole rebuild, which
 * the SQL port does not lend (and holding a pooled one starves a small pool), and
 * a lease outlives no crash by more than a minute. The switch confirms the lease in
 * its own transaction, so a rebuild whose lease expired can never swap tables.
 *
 * Resolves to the lease, or undefined when another rebuild holds it.
 */
export async function claimAcrossProcesses(
  sql: SqlClient,
  projection: string,
  onLost: (error: unknown) => void,
): Promise<RebuildLease | undefined> {
  const holder = randomUUID();
  const claimed = await sql.query(
    `insert into projection_rebuild_leases (projection, holder, expires_at)
     values ($1, $2, now() + make_interval(secs => $3))
     on conflict (projection) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where projection_rebuild_leases.expires_at < now()
     returning holder`,
    [projection, holder, LEASE_SECONDS],
  );
  if (claimed.length === 0) return undefined;

  const renewal = setInterval(() => {
    sql
      .query(
        `update projection_rebuild_leases set expires_at = now() + make_interval(secs => $3)
          where projection = $1 and holder = $2 returning holder`,
        [projection, holder, LEASE_SECONDS],
      )
      .then(
        (rows) => {
          if (rows.length === 0) onLost(new RebuildLeaseLostError(projection));
        },
        // A missed renewal is not yet a lost lease: the next one may get through.
        () => undefined,
      );
  }, RENEW_EVERY_MS);
  renewal.unref();

  return {
    async confirm(tx) {
      const rows = await tx.query(
        'select 1 from projection_rebuild_leases where projection = $1 and holder = $2 for update',
        [projection, holder],
      );
      if (rows.length === 0) throw new RebuildLeaseLostError(projection);
    },
    async release() {
      clearInterval(renewal);
      await sql.query('delete from projection_rebuild_leases where projection = $1 and holder = $2', [
        projection,
        holder,
      ]);
    },
  };
}

/** Projections some process on the database is rebuilding now (an expired lease no longer counts). */
export async function listRebuilding(sql: SqlExecutor): Promise<Set<string>> {
  const [table] = await sql.query<{ present: boolean }>(
    `select to_regclass('projection_rebuild_leases') is not null as present`,
  );
  if (!table?.present) return new Set();
  const rows = await sql.query<{ projection: string }>(
    'select projection from projection_rebuild_leases where expires_at > now()',
  );
  return new Set(rows.map((row) => row.projection));
}
