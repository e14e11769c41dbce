// Mutation testing over the write side's rules (`domain/`) and command handlers (`commands/`):
// `npm run mutation` (or `npm run mutation -- --mutate 'domain/**/!(*.spec).ts'` for one folder).
// Too slow for every CI run; its score is reported in the session notes.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'stryker.vitest.config.ts' },
  mutate: ['domain/**/*.ts', 'commands/**/*.ts', '!**/*.spec.ts', '!**/testing/**'],
  coverageAnalysis: 'perTest',
  // The int specs share one PostgreSQL; one test process leaves the other core to it.
  concurrency: 1,
  timeoutMS: 30_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // Not copied into a sandbox: another run's sandboxes, reports and local data.
  ignorePatterns: ['.stryker-tmp', 'reports', 'data'],
  cleanTempDir: 'always',
};
