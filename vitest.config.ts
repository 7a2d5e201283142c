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
    // Two files at a time, of either project, in one group: an e2e file waits on its child runs' servers and
    // processes for about a third of its time, so a second file (often a unit one) fills the other core.
    // (A project with fileParallelism: false would run after every other one, unit and e2e back to back.)
    maxWorkers: 2,
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
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // The files share their worker's modules: a new process and a fresh import of the harness per file
          // cost seconds on a loaded machine. What a file starts it stops itself (support/cleanup.ts), and no
          // support module registers a hook of its own (it would hook only the first file).
          isolate: false,
        },
      },
    ],
  },
})
