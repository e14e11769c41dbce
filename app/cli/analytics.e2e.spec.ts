import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendAnalyticsHistory,
  HISTORY_RANGE,
  type AnalyticsHistory,
} from '../../gateway/admin/testing/analytics-history.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { waitFor } from '../../test/support/wait-for.js';
import { runParley } from './testing/run-parley.js';

const range = ['--from', HISTORY_RANGE.from, '--to', HISTORY_RANGE.to];

// Each case starts a real process that composes the whole app: slow on a busy machine.
describe('parley analytics', { timeout: 120_000 }, () => {
  let server: TestServer;
  let databaseUrl: string;
  let history: AnalyticsHistory;

  beforeAll(async () => {
    server = await startTestServer('postgres');
    databaseUrl = server.parley.infrastructure.config.DATABASE_URL!;
    history = await appendAnalyticsHistory(server.parley.infrastructure.eventStore);
    await waitFor('analytics to apply the history', async () => {
      const statuses = await server.parley.infrastructure.projections.status();
      return statuses.find((status) => status.name === 'analytics')?.lagEvents === 0;
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('prints the figures of each day as JSON, as the admin route does', async () => {
    const run = await runParley(databaseUrl, 'analytics', ...range, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ days: history.expectedDays });
  });

  it('prints one line per day, a dash where no reply was measured', async () => {
    const run = await runParley(databaseUrl, 'analytics', ...range);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.trim().split(/\s{2,}/))).toEqual([
      ['DATE', 'MESSAGES', 'ACTIVE SENDERS', 'MEDIAN FIRST REPLY (S)'],
      ['2025-01-09', '0', '0', '-'],
      ['2025-01-10', '8', '3', '90.0'],
      ['2025-01-11', '6', '3', '172.5'],
      ['2025-01-12', '0', '0', '-'],
      ['2025-01-13', '1', '1', '-'],
    ]);
  });

  it('lists messages per conversation and day with --by-conversation', async () => {
    const run = await runParley(databaseUrl, 'analytics', ...range, '--by-conversation', '--json');
    expect(run.code).toBe(0);
    const { first, second, third, fourth } = history.conversations;
    expect(JSON.parse(run.stdout)).toEqual({
      conversationDays: [
        { date: '2025-01-10', conversationId: first, messages: 5 },
        { date: '2025-01-10', conversationId: second, messages: 3 },
        { date: '2025-01-11', conversationId: third, messages: 5 },
        { date: '2025-01-11', conversationId: second, messages: 1 },
        { date: '2025-01-13', conversationId: fourth, messages: 1 },
      ],
    });
  });

  it('shows its usage with --help', async () => {
    const run = await runParley(databaseUrl, 'analytics', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('parley analytics [--from YYYY-MM-DD] [--to YYYY-MM-DD]');
  });

  it.each([
    ['a malformed date', ['--from', '2025-1-9'], 'from must be a date'],
    ['a reversed range', ['--from', '2025-01-10', '--to', '2025-01-09'], 'from must not be after to'],
    ['a range over 366 days', ['--from', '2024-01-01', '--to', '2025-01-01'], 'at most 366 days'],
    ['an unknown option', ['--since', '2025-01-01'], 'Unknown option'],
  ])('refuses %s with exit code 2', async (_, args, message) => {
    const run = await runParley(databaseUrl, 'analytics', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('says so, with exit code 1, before any server has filled analytics', async () => {
    const fresh = await createTestDatabase('analytics_cli');
    try {
      const run = await runParley(fresh.url, 'analytics');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('the analytics projection has not run yet');
    } finally {
      await fresh.drop();
    }
  });
});
