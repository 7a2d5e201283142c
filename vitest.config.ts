import { defineConfig } from 'vitest/config'

/**
 * workerdb's own tests. `unit`: pure functions and the engine against a real server; `e2e`: real
 * vitest/jest binaries in child processes. Both get WORKERDB_TEST_URL from test-support/server.ts:
 * the machine's PostgreSQL when set, else an embedded server started for this run; and a MySQL server
 * for the MySQL flavour's tests from test-support/mysql-server.ts.
 */
export default defineConfig({
  test: {
    globalSetup: ['./test-support/server.ts', './test-support/mysql-server.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'test-support/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/test/**/*.test.ts'],
          // Each e2e run starts its own results file for the fidelity matrix (scripts/matrix.mjs).
          globalSetup: ['./e2e/support/matrix-run.ts'],
          // Each e2e test starts a whole test runner with its own worker pool: one at a time on 2 cores.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
