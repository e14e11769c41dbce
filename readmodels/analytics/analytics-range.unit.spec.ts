import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import { resolveDayRange } from './analytics-range.js';

const now = new Date('2025-03-10T15:30:00Z');

describe('an analytics day range', () => {
  it('defaults to the last 30 days, today included', () => {
    expect(resolveDayRange({}, now)).toEqual({ from: '2025-02-09', to: '2025-03-10' });
  });

  it('ends today when only from is given, and starts 29 days before to when only to is', () => {
    expect(resolveDayRange({ from: '2025-03-01' }, now)).toEqual({ from: '2025-03-01', to: '2025-03-10' });
    expect(resolveDayRange({ to: '2025-01-31' }, now)).toEqual({ from: '2025-01-02', to: '2025-01-31' });
  });

  it('accepts one day and a whole leap year', () => {
    expect(resolveDayRange({ from: '2024-02-29', to: '2024-02-29' }, now)).toEqual({
      from: '2024-02-29',
      to: '2024-02-29',
    });
    expect(resolveDayRange({ from: '2024-01-01', to: '2024-12-31' }, now).to).toBe('2024-12-31');
  });

  it.each([
    [{ from: '2025-03-05', to: '2025-03-04' }, 'from must not be after to'],
    [{ from: '2024-01-01', to: '2025-01-01' }, 'at most 366 days'],
    [{ from: '2025-02-30' }, 'must be a date'],
    [{ to: '2025-13-01' }, 'must be a date'],
    [{ from: '2025-3-1' }, 'must be a date'],
  ])('refuses %o', (asked, message) => {
    expect(() => resolveDayRange(asked, now)).toThrow(ValidationError);
    expect(() => resolveDayRange(asked, now)).toThrow(message);
  });
});
