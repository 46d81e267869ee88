import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Provider tests use nock, which patches node:http for the whole process; separate
    // processes per file keep one file's interceptors out of another's loopback traffic.
    pool: 'forks',
    restoreMocks: true,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
