import { describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logging/logger.js';
import { awaitReadModels, READ_YOUR_WRITES_TIMEOUT_MS } from './read-your-writes.js';

/** A real logger whose lines are kept, parsed, to read what would have been logged. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('waiting for the read models after a write', () => {
  it('asks for the write position with a five second deadline', async () => {
    const asked: [bigint, number | undefined][] = [];
    const { logger } = capturedLogger();
    await awaitReadModels(
      async (position, timeoutMs) => {
        asked.push([position, timeoutMs]);
        return true;
      },
      42n,
      logger,
    );
    expect(READ_YOUR_WRITES_TIMEOUT_MS).toBe(5_000);
    expect(asked).toEqual([[42n, 5_000]]);
  });

  it('logs nothing when the read models caught up', async () => {
    const { logger, lines } = capturedLogger();
    await awaitReadModels(async () => true, 42n, logger);
    expect(lines).toEqual([]);
  });

  it('answers anyway when they did not, with a warning that names the position and the deadline', async () => {
    const { logger, lines } = capturedLogger();
    await expect(awaitReadModels(async () => false, 42n, logger)).resolves.toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      position: '42',
      timeoutMs: 5_000,
      msg: 'read models did not reach a write in time; answering without them',
    });
  });
});
