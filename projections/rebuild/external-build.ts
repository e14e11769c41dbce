import type { SqlClient, SqlExecutor } from '../../infra/sql/sql-client.js';
import type { Projection, RebuildTarget } from '../projection.js';
import { parkEvent } from '../runner/parked-events.js';
import { catchUpPages } from './log-catch-up.js';
import type { NextVersionBuild } from './next-version-build.js';
import { holdLiveCheckpoint, recordRebuiltVersion } from './switch-checkpoint.js';
import { applyToTarget, type TargetFailure } from './target-apply.js';

/**
 * Builds the next version of a projection whose state lives outside the
 * read-model database, in the target its `rebuildTarget` hook makes (a new
 * Elasticsearch index). The events the new version fails on are kept here and
 * parked for it at the switch, in place of the live version's.
 *
 * The switch, in one SQL transaction:
 *
 * 1. Lock the live checkpoint row (`holdLiveCheckpoint`). The runner locks it
 *    before it writes anything in a batch, so from here on it writes nothing to
 *    the live version, and every event it wrote there is at or below the live
 *    checkpoint.
 * 2. Apply to the target every event read since its last pass: up to the log's
 *    head as read just before the transaction (or up to the live checkpoint, when
 *    the runner got further). Events past the checkpoint are applied again by the
 *    runner after the switch, which the target's idempotent writes make no-ops.
 * 3. Park the new version's failures, record the version, then promote the target
 *    (last: a failure before it rolls everything back and the live version stays).
 *
 * After the commit the runner goes on from the same checkpoint, writing to the
 * promoted version.
 */
export async function startExternalBuild(
  sql: SqlClient,
  projection: Projection,
  rebuildTarget: () => Promise<RebuildTarget>,
): Promise<NextVersionBuild> {
  const target = await rebuildTarget();
  const failures = new Map<bigint, TargetFailure>();
  // Once promoted, the target is the live version: nothing may discard it any more.
  let promoted = false;
  return {
    location: 'a new version of its external store',
    catchUp: (options) =>
      catchUpPages(options, (events) => applyToTarget(sql, target.projection, events, failures)),
    async switchOver(plan) {
      if (promoted) throw new Error(`projection ${projection.name}: the rebuild target is already promoted`);
      return sql.transaction(async (tx) => {
        const { live, pending } = await holdLiveCheckpoint(sql, tx, projection.name, plan);
        const last = pending.filter((event) => event.position > plan.shadowPosition);
        await applyToTarget(tx, target.projection, last, failures);
        // Past the checkpoint, the runner applies the events again after the switch and parks its own failures.
        const owned = [...failures.values()].filter((failure) => failure.event.position <= live);
        await replaceParkedEvents(tx, projection.name, owned);
        await recordRebuiltVersion(tx, projection.name, plan.toVersion);
        // Set before: a promote that fails half-way may have moved readers already, and a
        // leftover version is harmless (the next rebuild deletes it) where a discarded live one is not.
        promoted = true;
        await target.promote();
        const parked = last.filter((event) => event.position <= live && failures.has(event.position)).length;
        return { position: live, applied: last.length, parked };
      });
    },
    async discard() {
      if (!promoted) await target.discard();
    },
  };
}

/** The live version's parked events were about the old store; the new version's own replace them. */
async function replaceParkedEvents(
  tx: SqlExecutor,
  projection: string,
  failures: Iterable<TargetFailure>,
): Promise<void> {
  await tx.query('delete from public.projection_parked where projection = $1', [projection]);
  for (const failure of failures) await parkEvent(tx, projection, failure.event, failure.error, 1);
}
