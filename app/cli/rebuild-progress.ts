import type { RebuildProgress } from '../../projections/rebuild/projection-rebuild.js';

const BAR_WIDTH = 30;
/** A terminal redraw at most this often: a rebuild reports thousands of pages. */
const REDRAW_MS = 100;

const phaseNames: Record<RebuildProgress['phase'], string> = {
  preparing: 'preparing',
  catching_up: 'replaying',
  switching: 'switching',
  done: 'done',
  failed: 'failed',
};

function percentOf(progress: RebuildProgress): number {
  if (progress.phase === 'done') return 100;
  if (progress.target <= 0n) return 0;
  return Math.min(100, Math.floor(Number((progress.position * 100n) / progress.target)));
}

/**
 * Shows a rebuild's progress on stderr: a bar redrawn in place on a terminal, and
 * plain lines otherwise (a log file or a CI job gets one line per phase and per
 * tenth of the way, not a stream of carriage returns).
 */
export class RebuildProgressView {
  private lastDraw = 0;
  private lastLine = '';
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly terminal: boolean,
  ) {}

  update(progress: RebuildProgress): void {
    if (this.terminal) this.draw(progress);
    else this.line(progress);
  }

  /** Ends the bar's line, so what follows starts on a fresh one. */
  finish(): void {
    if (this.terminal && this.drawn) this.write('\n');
    this.drawn = false;
  }

  private draw(progress: RebuildProgress): void {
    const now = Date.now();
    const final = progress.phase === 'done' || progress.phase === 'failed';
    if (!final && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const percent = percentOf(progress);
    const filled = Math.round((percent / 100) * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
    const counts = `${progress.position}/${progress.target} positions, ${progress.applied} events`;
    // \x1b[K clears what a longer earlier line left at the end.
    this.write(
      `\r${progress.projection} [${bar}] ${String(percent).padStart(3)}% ${phaseNames[progress.phase]} ${counts}\x1b[K`,
    );
    this.drawn = true;
  }

  private line(progress: RebuildProgress): void {
    const tenth = Math.floor(percentOf(progress) / 10) * 10;
    const key = `${progress.phase}:${tenth}`;
    if (key === this.lastLine) return;
    this.lastLine = key;
    this.write(
      `${progress.projection}: ${phaseNames[progress.phase]} ${tenth}% (${progress.position}/${progress.target} positions, ${progress.applied} events)\n`,
    );
  }
}
