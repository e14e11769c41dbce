import type { CatchUpOptions, CatchUpProgress } from './log-catch-up.js';
import type { SwitchPlan } from './switch-checkpoint.js';

/**
 * A projection's next version while a rebuild builds it, whatever stores it:
 * shadow tables (`tables-build.ts`) or an external target such as a new
 * Elasticsearch index (`external-build.ts`). The rebuild drives both the same way:
 * passes of `catchUp`, then `switchOver`, or `discard` on any failure before it.
 */
export interface NextVersionBuild {
  /** Where the next version is built, for the logs. */
  readonly location: string;
  /** Applies the handled events after `options.after` up to `options.upTo`. */
  catchUp(options: CatchUpOptions): Promise<CatchUpProgress>;
  /**
   * In one SQL transaction with the live checkpoint row locked: applies the last
   * events, makes the next version the live one and records `plan.toVersion`.
   * Throws a switch collision (`isSwitchCollision`) when it is worth another try.
   */
  switchOver(plan: SwitchPlan): Promise<SwitchResult>;
  /** Drops the next version: the live one stays as it is. */
  discard(): Promise<void>;
}

export interface SwitchResult {
  /** The live checkpoint the new version took over (unchanged by the switch). */
  position: bigint;
  /** Events applied inside the switch, and how many of them were parked. */
  applied: number;
  parked: number;
}
