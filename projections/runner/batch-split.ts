import type { RecordedEvent } from '../../infra/eventstore/event-store.js';
import { ProjectionApplyError } from './transient-failure.js';

/**
 * Where a batch that failed is cut, in position order, so that the events that fail
 * end up alone. A failure that names its event (`ProjectionApplyError`) cuts around
 * it: the events before it, the event alone, the events after it. Isolated at once,
 * that event fails in one batch only, so the retry policy still counts and spaces
 * out its tries (halving around it would spend them in quick succession, without
 * backoff). Anything else (a projection's `applyBatch`, a constraint checked at
 * commit) does not say which event failed, so the batch is halved, and a half that
 * fails again is halved again: one such event among N costs about 2·log2(N)
 * transactions.
 */
export function splitFailedBatch(
  events: readonly RecordedEvent[],
  failure: unknown,
): (readonly RecordedEvent[])[] {
  const blamed =
    failure instanceof ProjectionApplyError
      ? events.findIndex((event) => event.position === failure.position)
      : -1;
  const parts =
    blamed >= 0
      ? [events.slice(0, blamed), events.slice(blamed, blamed + 1), events.slice(blamed + 1)]
      : [events.slice(0, Math.ceil(events.length / 2)), events.slice(Math.ceil(events.length / 2))];
  return parts.filter((part) => part.length > 0);
}
