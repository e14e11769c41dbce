import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes every command shares: scripts tell a bad invocation from a failure. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Where a command writes; the entry point gives it the process's streams. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** One `parley <name>` command: its help text and what it does with its arguments. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Shown by `--help` and after a usage error. */
  usage: string;
  /** Resolves to the process's exit code. */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** A wrong invocation: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments strictly (an unknown option is a usage error) and
 * returns `undefined` when `--help` was asked for.
 */
export function parseCommandArgs<const O extends Options>(args: readonly string[], options: O) {
  if (args.includes('--help') || args.includes('-h')) return undefined;
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** An ISO-8601 time given on the command line. */
export function parseTime(value: string, what: string): Date {
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime()))
    throw new UsageError(`${what} must be an ISO-8601 time, e.g. 2025-01-31T12:00:00Z (got "${value}")`);
  return time;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseId(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`missing ${what}`);
  if (!UUID.test(value)) throw new UsageError(`${what} must be a UUID (got "${value}")`);
  return value.toLowerCase();
}

export function json(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item),
    2,
  );
}
