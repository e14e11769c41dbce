import type { Logger } from '../../infra/logging/logger.js';
import { planDigests, type DigestPlannerSettings } from './digest-planner.js';
import { sendDueDigests, type DigestSenderDeps } from './digest-sender.js';
import type { UserPresence } from './user-presence.js';

export interface DigestSchedulerDeps extends DigestSenderDeps {
  presence: UserPresence;
  settings: DigestPlannerSettings;
  logger: Logger;
  clock?: () => Date;
}

/**
 * Runs the planner then the sender on a timer. Every instance may run one: the
 * planners take turns on a lock and the senders claim disjoint rows, so nothing
 * is decided or mailed twice. A round never overlaps the previous one.
 */
export class DigestScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly clock: () => Date;

  constructor(private readonly deps: DigestSchedulerDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** Seconds between rounds: often enough that a digest leaves soon after it is due. */
  get periodMs(): number {
    const { delaySeconds, intervalSeconds } = this.deps.settings;
    return Math.max(1, Math.min(30, delaySeconds / 2, intervalSeconds / 2)) * 1000;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.deps.logger.error({ err: error }, 'offline notifications round failed'),
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.periodMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.periodMs).unref();
  }

  /** One round at the clock's now: decide due digests, then send what is due. */
  async runOnce(): Promise<{ planned: number; sent: number }> {
    const now = this.clock();
    const planned = await planDigests(this.deps, now);
    const sent = await sendDueDigests(this.deps, now);
    return { planned, sent };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
