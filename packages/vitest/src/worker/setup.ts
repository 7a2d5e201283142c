/**
 * Vitest setup file, placed first in every project's `setupFiles`: it runs in each worker before any
 * user setup file or test module, maps VITEST_POOL_ID (the pool slot — never VITEST_WORKER_ID, which
 * counts files) to this run's clone and exports it, overriding `test.env`. With `reset: 'truncate'` it
 * then empties the clone's tables: Vitest re-runs setup files for every test file (isolate off too) and
 * awaits this one's top-level await before importing the test module.
 */
import { resetWorkerDatabase, setupWorker, waitForManifest } from '@workerdb/core/worker'

// The runner provisions while the pool starts: wait here until this run's clones exist. One read of the
// manifest serves all three steps: this file runs before every test file.
const manifest = await waitForManifest()
setupWorker(process.env, manifest)
await resetWorkerDatabase(process.env, manifest)
