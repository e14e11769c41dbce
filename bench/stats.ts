import { readFileSync } from 'node:fs';

/** Latency percentiles over recorded samples, in milliseconds with two decimals. */
export function percentile(sortedMs: readonly number[], fraction: number): number {
  if (sortedMs.length === 0) return 0;
  const index = Math.min(sortedMs.length - 1, Math.ceil(fraction * sortedMs.length) - 1);
  return round(sortedMs[Math.max(0, index)]!);
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function summarize(latenciesMs: number[]): { p50Ms: number; p99Ms: number } {
  latenciesMs.sort((a, b) => a - b);
  return { p50Ms: percentile(latenciesMs, 0.5), p99Ms: percentile(latenciesMs, 0.99) };
}

/** One JSON line per result: the benchmark's only output on stdout. */
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The machine's CPU time so far, busy and in all, in clock ticks over every core; undefined off Linux. */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal (guest time is inside user)
  const ticks = line?.trim().split(/\s+/).slice(1, 9).map(Number) ?? [];
  if (ticks.length < 8 || ticks.some((tick) => !Number.isFinite(tick))) return undefined;
  const total = ticks.reduce((sum, tick) => sum + tick, 0);
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

/**
 * How busy the whole machine was since `start`, in percent of all its cores: on
 * a machine the server, its database and the load generator share, this tells a
 * figure limited by the machine from one limited by the server.
 */
export function machineBusyPercentSince(start: MachineCpu | undefined): number | undefined {
  const end = machineCpu();
  if (!start || !end || end.total <= start.total) return undefined;
  return round((100 * (end.busy - start.busy)) / (end.total - start.total), 1);
}
