/**
 * Vitest setup file, placed first in every project's `setupFiles`: it runs in each worker before any
 * user setup file or test module, maps VITEST_POOL_ID (the pool slot — never VITEST_WORKER_ID, which
 * counts files) to this run's clone and exports it, overriding `test.env`. With `reset: 'truncate'` it
 * then empties the clone's tables: Vitest re-runs setup files for every test file (isolate off too) and
 * awaits this one's top-level await before importing the test module.
 */
import { resetWorkerDatabase, setupWorker } from '@workerdb/core/worker'

setupWorker()
await resetWorkerDatabase()
