import { defineConfig } from 'vitest/config';

// The tests that speak for domain/ and commands/: their own unit and int specs, the deciders'
// fuzzing, and the HTTP suites of the handlers that have no spec of their own (accounts,
// password reset, profiles, attachments, mutes), which drive them through a real server.
export default defineConfig({
  test: {
    include: [
      'domain/**/*.spec.ts',
      'commands/**/*.spec.ts',
      'test/fuzz/deciders.unit.spec.ts',
      'gateway/auth/auth.e2e.spec.ts',
      'gateway/auth/password-reset.e2e.spec.ts',
      'gateway/auth/password-reset-expiry.e2e.spec.ts',
      'gateway/users/users.e2e.spec.ts',
      'gateway/attachments/attachments.e2e.spec.ts',
      'gateway/conversations/conversations.e2e.spec.ts',
      'projections/notifications/notifications.e2e.spec.ts',
    ],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
