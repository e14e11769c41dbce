import type { Logger } from '../../infra/logging/logger.js';

/**
 * Resolves `true` once every projection has applied the event at `position`, or
 * `false` when `timeoutMs` passes first. The projection runner provides it.
 */
export type WaitForPosition = (position: bigint, timeoutMs?: number) => Promise<boolean>;

/** Long enough for a busy projector, short enough that a stalled one does not hang requests. */
export const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

/**
 * Waits until the read models include a write, so that once a command answers,
 * every read (the caller's and anyone else's) sees its effect. A timeout does not
 * fail the command: the write is durable and a retry would conflict; the read
 * models will catch up, so it is logged instead.
 */
export async function awaitReadModels(
  waitForPosition: WaitForPosition,
  position: bigint,
  logger: Logger,
): Promise<void> {
  const caughtUp = await waitForPosition(position, READ_YOUR_WRITES_TIMEOUT_MS);
  if (!caughtUp) {
    logger.warn(
      { position: position.toString(), timeoutMs: READ_YOUR_WRITES_TIMEOUT_MS },
      'read models did not reach a write in time; answering without them',
    );
  }
}
