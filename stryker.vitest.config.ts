import { defineConfig } from 'vitest/config';

// The tests that speak for domain/ and commands/: their own unit and int specs, and the deciders' fuzzing.
export default defineConfig({
  test: {
    include: ['domain/**/*.spec.ts', 'commands/**/*.spec.ts', 'test/fuzz/deciders.unit.spec.ts'],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
