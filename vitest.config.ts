import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores share the servers and the tests: run test files one at a time.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Tests that cross a wire share one real ring and one PostgreSQL, started once per run.
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/helpers/global-setup.ts'], setupFiles: ['test/helpers/kill-strays.ts'] } },
    ],
  },
});
