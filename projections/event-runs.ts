import type { RecordedEvent } from '../infra/eventstore/event-store.js';

/**
 * Applies `events` in order, handing each maximal run of consecutive events of
 * `runType` to `applyRun` (one set-based statement for many events) and every
 * other event to `applyOne`. Order is kept: a run never jumps over another event.
 */
export async function applyInRuns(
  events: readonly RecordedEvent[],
  runType: string,
  applyRun: (run: readonly RecordedEvent[]) => Promise<void>,
  applyOne: (event: RecordedEvent) => Promise<void>,
): Promise<void> {
  let run: RecordedEvent[] = [];
  const flush = async () => {
    if (run.length === 1) await applyOne(run[0]!);
    else if (run.length > 1) await applyRun(run);
    run = [];
  };
  for (const event of events) {
    if (event.type === runType) {
      run.push(event);
      continue;
    }
    await flush();
    await applyOne(event);
  }
  await flush();
}
