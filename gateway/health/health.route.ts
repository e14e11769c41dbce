import type { FastifyPluginAsync } from 'fastify';

/** A dependency `/ready` asks; `check` rejects when it is not usable. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(readiness: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      readiness.check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { name: readiness.name, ok: true };
  } catch (error) {
    return { name: readiness.name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes =
  (checks: readonly ReadinessCheck[], details?: () => Record<string, unknown>): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

    app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
      const results = await Promise.all(checks.map(runCheck));
      const ready = results.every((result) => result.ok);
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', ...details?.(), checks: results });
    });
  };
