import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.spec.ts'],
    exclude: ['node_modules/**', 'data/**', '.stryker-tmp/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the database-heavy suites fight each other.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
