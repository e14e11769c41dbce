import type { FastifyPluginAsync } from 'fastify';

/** A dependency `/ready` asks; `check` rejects when it is not usable. */
export interface ReadinessCheck {
  name: string;
  /**
   * Whether Parley cannot serve without it. The log and the read models are
   * required; a service whose loss only degrades features (presence, counters,
   * search, uploads) is not: taking every node out of a load balancer because
   * Redis restarts would turn a degraded chat into no chat at all.
   */
  required: boolean;
  check(): Promise<void>;
}

interface CheckResult {
  name: string;
  required: boolean;
  ok: boolean;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(readiness: ReadinessCheck): Promise<CheckResult> {
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
    return { name: readiness.name, required: readiness.required, ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name: readiness.name, required: readiness.required, ok: false, error: message };
  } finally {
    clearTimeout(timer);
  }
}

/** `not_ready` (503) only when a required dependency fails; `degraded` (200) when only optional ones do. */
function readinessOf(results: readonly CheckResult[]): 'ready' | 'degraded' | 'not_ready' {
  if (results.some((result) => !result.ok && result.required)) return 'not_ready';
  return results.every((result) => result.ok) ? 'ready' : 'degraded';
}

export const healthRoutes =
  (checks: readonly ReadinessCheck[], details?: () => Record<string, unknown>): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

    app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
      const results = await Promise.all(checks.map(runCheck));
      const status = readinessOf(results);
      return reply.code(status === 'not_ready' ? 503 : 200).send({ status, ...details?.(), checks: results });
    });
  };
