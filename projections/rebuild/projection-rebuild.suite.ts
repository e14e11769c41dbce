import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresClient } from '../../infra/sql/postgres.sql-client.js';
import type { SqlExecutor } from '../../infra/sql/sql-client.js';
import { TEST_DATABASE_URL } from '../../test/support/postgres.js';
import { waitFor } from '../../test/support/wait-for.js';
import { conversationsProjection } from '../conversations/conversations.projection.js';
import { messagesProjection } from '../messages/messages.projection.js';
import type { Projection } from '../projection.js';
import { ProjectionRunner } from '../runner/projection-runner.js';
import type { EngineName, TestEngine } from '../testing/test-engine.js';
import { startProjectionRebuild, type RebuildProgress } from './projection-rebuild.js';
import { NotRebuildableError, RebuildInProgressError } from './rebuild-errors.js';
import {
  appendingDuring,
  openSeededEngine,
  SEEDED_EVENTS,
  SLOW,
  storedVersion,
} from './testing/seeded-engine.js';
import { freshReplay, tableRows } from './testing/fresh-replay.js';

async function tableOid(db: SqlExecutor, table: string): Promise<string> {
  const [row] = await db.query<{ oid: string }>(`select $1::regclass::oid::text as oid`, [`public.${table}`]);
  return row!.oid;
}

async function shadowSchemas(db: SqlExecutor): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `select nspname as name from pg_namespace where nspname like 'parley_rebuild_%'`,
  );
  return rows.map((row) => row.name);
}

/** Rebuilds against each SQL engine, with the live runner projecting and writers appending meanwhile. */
export function describeProjectionRebuild(engineName: EngineName): void {
  describe(`projection rebuild: ${engineName}`, () => {
    let engine: TestEngine;
    let runner: ProjectionRunner;
    const projections = [conversationsProjection, messagesProjection];

    beforeAll(async () => {
      ({ engine, runner } = await openSeededEngine(engineName, 'rebuild', projections));
    }, SLOW);

    afterAll(async () => {
      await runner?.stop();
      await engine?.close();
    });

    it(
      'builds new tables while the runner keeps projecting new events, then swaps them in equal to a fresh replay',
      async () => {
        const before = await tableOid(engine.sql, 'messages');
        const phases = new Set<RebuildProgress['phase']>();
        const rebuilds = projections.map((projection) =>
          startProjectionRebuild({
            sql: engine.sql,
            eventStore: engine.eventStore,
            projection,
            toVersion: 2,
            onProgress: (progress) => phases.add(progress.phase),
          }),
        );
        // Writers keep appending during the whole rebuild: the live runner projects them, the switch takes them over.
        const results = await appendingDuring(
          engine.eventStore,
          Promise.all(rebuilds.map((rebuild) => rebuild.done)),
        );

        const head = await engine.eventStore.headPosition();
        expect(await runner.waitForPosition(head, SLOW)).toBe(true);
        expect(results.every((result) => result.applied > SEEDED_EVENTS / 2)).toBe(true);
        expect(phases).toContain('catching_up');
        expect(phases).toContain('switching');
        expect(await tableOid(engine.sql, 'messages')).not.toBe(before);
        expect(await shadowSchemas(engine.sql)).toEqual([]);
        expect(await storedVersion(engine.sql, 'messages')).toBe(2);
        // A restart keeps the rebuilt tables' version though the code's is still 1: it is their generation.
        await runner.stop();
        runner = new ProjectionRunner({ sql: engine.sql, eventStore: engine.eventStore, projections });
        await runner.start();
        expect(await storedVersion(engine.sql, 'messages')).toBe(2);
        expect((await runner.status()).find((status) => status.name === 'messages')?.version).toBe(2);
        const reference = await freshReplay(engine.sql.engine, engine.eventStore, projections, head);
        for (const [table, rows] of reference) {
          expect(rows.length).toBeGreaterThan(0);
          expect(await tableRows(engine.sql, table), table).toEqual(rows);
        }
      },
      SLOW,
    );

    it(
      'refuses a second rebuild of a projection while one runs',
      async () => {
        const first = startProjectionRebuild({
          sql: engine.sql,
          eventStore: engine.eventStore,
          projection: messagesProjection,
          toVersion: 3,
        });
        expect(() =>
          startProjectionRebuild({
            sql: engine.sql,
            eventStore: engine.eventStore,
            projection: messagesProjection,
            toVersion: 3,
          }),
        ).toThrow(RebuildInProgressError);
        await first.done;
        expect(await storedVersion(engine.sql, 'messages')).toBe(3);
      },
      SLOW,
    );

    it('refuses a projection that keeps its state outside SQL', () => {
      const outside: Projection = { ...messagesProjection, name: 'outside', tables: [] };
      expect(() =>
        startProjectionRebuild({
          sql: engine.sql,
          eventStore: engine.eventStore,
          projection: outside,
          toVersion: 2,
        }),
      ).toThrow(NotRebuildableError);
    });

    it(
      'leaves the live tables in place and drops the shadow ones when stopped',
      async () => {
        const before = await tableOid(engine.sql, 'conversations');
        const abort = new AbortController();
        const rebuild = startProjectionRebuild({
          sql: engine.sql,
          eventStore: engine.eventStore,
          projection: conversationsProjection,
          toVersion: 9,
          signal: abort.signal,
          onProgress: (progress) => {
            if (progress.phase === 'catching_up' && progress.applied > 0) abort.abort();
          },
        });
        await expect(rebuild.done).rejects.toThrow(/stopped/);
        expect(await tableOid(engine.sql, 'conversations')).toBe(before);
        expect(await shadowSchemas(engine.sql)).toEqual([]);
        expect(await storedVersion(engine.sql, 'conversations')).not.toBe(9);
      },
      SLOW,
    );

    if (engineName === 'postgres')
      it(
        'waits for a runner batch in flight without deadlocking, whatever that batch touches',
        async () => {
          // A batch as the runner makes it: every checkpoint row locked first, the tables written after.
          let switchWaits!: () => void;
          const switchWaiting = new Promise<void>((resolve) => (switchWaits = resolve));
          const batch = engine.sql.transaction(async (tx) => {
            await tx.query('select name from projection_checkpoints order by name for update');
            await switchWaiting;
            // The switch holds nothing the batch needs yet: had it locked the tables first, this would deadlock.
            await tx.query('update messages set body = body where false');
          });
          const rebuild = startProjectionRebuild({
            sql: engine.sql,
            eventStore: engine.eventStore,
            projection: messagesProjection,
            toVersion: 5,
          });
          await waitFor(
            'the switch to wait for the checkpoint row',
            async () => {
              const [row] = await engine.sql.query<{ waiting: number }>(
                `select count(*)::int as waiting from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'
                  and query like '%from public.projection_checkpoints where name%for update%'`,
              );
              return row!.waiting > 0;
            },
            SLOW,
          );
          switchWaits();
          await batch;
          await rebuild.done;
          expect(await storedVersion(engine.sql, 'messages')).toBe(5);
        },
        SLOW,
      );

    if (engineName === 'postgres')
      it(
        'refuses a rebuild that another process runs on the same database',
        async () => {
          const [row] = await engine.sql.query<{ name: string }>('select current_database() as name');
          const url = new URL(TEST_DATABASE_URL);
          url.pathname = `/${row!.name}`;
          const other = createPostgresClient({
            connectionString: url.toString(),
            max: 2,
            applicationName: 'other-process',
          });
          try {
            let locked!: () => void;
            const lockHeld = new Promise<void>((resolve) => (locked = resolve));
            const first = startProjectionRebuild({
              sql: engine.sql,
              eventStore: engine.eventStore,
              projection: messagesProjection,
              toVersion: 4,
              onProgress: (progress) => {
                if (progress.phase === 'catching_up') locked();
              },
            });
            await lockHeld;
            const second = startProjectionRebuild({
              sql: other,
              eventStore: engine.eventStore,
              projection: messagesProjection,
              toVersion: 4,
            });
            await expect(second.done).rejects.toThrow(RebuildInProgressError);
            await first.done;
          } finally {
            await other.close();
          }
        },
        SLOW,
      );
  });
}
