import { describe, expect, it } from 'vitest';
import type { RebuildProgress } from '../../projections/rebuild/projection-rebuild.js';
import { RebuildProgressView } from './rebuild-progress.js';

const at = (position: number, phase: RebuildProgress['phase'] = 'catching_up'): RebuildProgress => ({
  projection: 'messages',
  phase,
  position: BigInt(position),
  target: 1_000n,
  applied: position,
  parked: 0,
});

describe('rebuild progress on stderr', () => {
  describe('when stderr is not a terminal', () => {
    it('writes one plain line per phase and per tenth of the way, never a carriage return', () => {
      let written = '';
      const view = new RebuildProgressView((text) => (written += text), false);
      for (let position = 0; position <= 1_000; position += 50) view.update(at(position));
      view.update(at(1_000, 'switching'));
      view.update(at(1_000, 'done'));
      view.finish();
      const lines = written.trimEnd().split('\n');
      expect(lines[0]).toBe('messages: replaying 0% (0/1000 positions, 0 events)');
      expect(lines.filter((line) => line.startsWith('messages: replaying'))).toHaveLength(11);
      expect(lines.slice(-2)).toEqual([
        'messages: switching 100% (1000/1000 positions, 1000 events)',
        'messages: done 100% (1000/1000 positions, 1000 events)',
      ]);
      expect(written).not.toContain('\r');
    });
  });

  describe('when stderr is a terminal', () => {
    it('redraws one bar in place and ends its line when finished', () => {
      let written = '';
      const view = new RebuildProgressView((text) => (written += text), true);
      view.update(at(500));
      view.update(at(1_000, 'done'));
      view.finish();
      const frames = written.split('\r').filter(Boolean);
      expect(frames[0]).toContain(`[${'#'.repeat(15)}${'-'.repeat(15)}]  50% replaying 500/1000 positions`);
      expect(frames.at(-1)).toMatch(/\[#{30}\] 100% done .*\n$/);
    });
  });
});
