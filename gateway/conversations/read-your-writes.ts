import { HttpError } from '../http-errors.js';

/**
 * After a command, the answer comes from the read models, so they must have
 * caught up with it first: then this client's next query sees its own write.
 * A write that is stored but not yet projected after the deadline answers 503;
 * the client's retry is safe (sends are idempotent by clientMsgId).
 */
export async function waitForReadModels(
  waitForPosition: (position: bigint) => Promise<boolean>,
  position: bigint,
): Promise<void> {
  if (position <= 0n) return;
  if (!(await waitForPosition(position))) {
    throw new HttpError('unavailable', 'the change was stored but is not readable yet; retry shortly', 1);
  }
}
