import type { Logger } from '../../infra/logging/logger.js';
import type { AdvisoryLockSession, OpenAdvisoryLockSession } from '../../infra/sql/advisory-lock-session.js';
import { sleep } from './backoff.js';

export interface ProjectorLockOptions {
  open: OpenAdvisoryLockSession;
  /** How often a standby tries to take the lock, and how often the holder checks its session. */
  retryMs: number;
  logger?: Logger;
  /** Starts the projection work: called once the lock is held. */
  acquired(): Promise<void>;
  /**
   * Stops the projection work: called when the lock is lost or given up. It must
   * stop starting new batches at once; the batch in flight may still commit (see the class).
   */
  released(): Promise<void>;
}

/**
 * Only one process at a time runs the projections, however many `--role projector`
 * replicas there are: they race for one PostgreSQL session advisory lock held on a
 * connection of its own; the others stand by and retry every `retryMs`.
 *
 * When the holder's lock connection dies (or stops answering), the holder can no
 * longer prove it owns the lock: it stops its work at once and goes back to standby,
 * while another process may already hold the lock. The batch the old holder had in
 * flight can still commit after the new holder started. That never applies an event
 * twice, because each batch transaction first locks the projections' checkpoint rows
 * (`select … for update`, checkpoints.ts `lockCheckpoints`) and applies only the events
 * past the checkpoints it read there, then moves them in the same transaction:
 *
 * - whichever of the two batches locks those rows second waits until the first commits
 *   or rolls back, then reads the checkpoints it left and skips what it applied (in
 *   either order: the old holder's batch may lock them before or after the new one's);
 * - the new holder may have subscribed from older checkpoints, so it receives those
 *   events again, and drops them by the same comparison.
 *
 * So the checkpoint read under the row lock is the fence: the advisory lock keeps the
 * work in one place, the row locks keep it exactly-once even when two overlap. Sinks
 * outside the transaction (Elasticsearch, Redis) are idempotent by design.
 */
export class ProjectorLock {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private session: AdvisoryLockSession | undefined;
  private holding = false;
  /** The work's state: started by `acquired`, not yet stopped by `released`. */
  private working = false;

  constructor(private readonly options: ProjectorLockOptions) {}

  /** True while this process holds the lock (and so runs the projections). */
  get held(): boolean {
    return this.holding;
  }

  /**
   * Makes the first attempt (so a lone projector is projecting once this resolves),
   * then keeps trying, or keeps checking the lock, in the background until `stop()`.
   */
  async start(): Promise<void> {
    if (this.loop) return;
    const first = await this.attempt();
    this.loop = this.run(first);
  }

  /** Stops the work (its batch in flight commits first), then releases the lock. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.loop = undefined;
    await this.stopWork();
    await this.closeSession();
  }

  private async run(firstHeld: boolean): Promise<void> {
    let held = firstHeld;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (held) {
        await this.guard(signal);
        if (signal.aborted) return;
        // The session broke: someone else may hold the lock already.
        await this.stopWork();
        await this.closeSession();
      }
      await sleep(this.options.retryMs, signal);
      if (signal.aborted) return;
      held = await this.attempt();
    }
  }

  /** One try: opens a session if needed, takes the lock, starts the work. */
  private async attempt(): Promise<boolean> {
    try {
      this.session ??= await this.options.open();
      if (!(await this.session.tryLock())) return false;
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'projector lock: could not try the lock; retrying');
      await this.closeSession();
      return false;
    }
    this.holding = true;
    this.options.logger?.info('projector lock acquired: this process runs the projections');
    try {
      this.working = true;
      await this.options.acquired();
      return true;
    } catch (error) {
      this.options.logger?.error({ err: error }, 'projections failed to start; giving the lock up');
      await this.stopWork();
      await this.closeSession();
      return false;
    }
  }

  /** Resolves when the lock session is lost or the lock is being given up. */
  private async guard(signal: AbortSignal): Promise<void> {
    const session = this.session;
    if (!session) return;
    let lost = false;
    void session.lost.then(() => {
      lost = true;
    });
    while (!signal.aborted && !lost) {
      await Promise.race([sleep(this.options.retryMs, signal), session.lost]);
      if (signal.aborted || lost) break;
      try {
        await session.ping();
      } catch (error) {
        this.options.logger?.warn({ err: error }, 'projector lock: session check failed');
        lost = true;
      }
    }
    if (lost && !signal.aborted)
      this.options.logger?.error('projector lock lost: stopping the projections, back to standby');
  }

  private async stopWork(): Promise<void> {
    // Not holding any more, whatever happens next: waits must not count on this process.
    this.holding = false;
    if (!this.working) return;
    this.working = false;
    try {
      await this.options.released();
    } catch (error) {
      this.options.logger?.error({ err: error }, 'projections did not stop cleanly');
    }
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }
}
