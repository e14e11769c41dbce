import { getContainerRuntimeClient, type GenericContainer, type StartedTestContainer } from 'testcontainers';

/** A server a suite runs against: given by the environment, or a container this run started. */
export interface ExternalService {
  url: string;
  stop(): Promise<void>;
}

export type ExternalServiceOrSkip = ExternalService | { skipped: string };

const RUNTIME_CHECK_MS = 5_000;

/**
 * Finds the server a conformance suite needs, while the test file is collected:
 * the URL in `envVar` when set, else a container started with testcontainers when a
 * Docker engine answers, else `{ skipped }` with one line printed saying why, so
 * that every test of the suite is reported skipped, never passed.
 */
export async function findExternalService(options: {
  /** Names the suite in the skip line, e.g. 'EventStoreDB conformance suite'. */
  suite: string;
  envVar: string;
  /** The container to start; started here, not in beforeAll, whose timeout a first image pull would exceed. */
  container: () => GenericContainer;
  urlOf: (started: StartedTestContainer) => string;
}): Promise<ExternalServiceOrSkip> {
  const given = process.env[options.envVar];
  if (given) return { url: given, stop: () => Promise.resolve() };
  try {
    await withTimeout(getContainerRuntimeClient(), RUNTIME_CHECK_MS);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 120);
    process.stdout.write(
      `${options.suite} skipped: ${options.envVar} is not set and no Docker engine was found (${reason})\n`,
    );
    return { skipped: reason };
  }
  const started = await options.container().start();
  return {
    url: options.urlOf(started),
    stop: async () => {
      await started.stop();
    },
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
