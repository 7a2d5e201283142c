/**
 * Vitest setup file, placed first in every project's `setupFiles`: it runs in each worker before any
 * user setup file or test module, maps VITEST_POOL_ID (the pool slot — never VITEST_WORKER_ID, which
 * counts files) to this run's clone and exports it, overriding `test.env`. With `reset: 'truncate'` it
 * then empties the clone's tables: Vitest re-runs setup files for every test file (isolate off too) and
 * awaits this one's top-level await before importing the test module. With `per: 'test'` it also registers
 * the beforeEach that empties them before every test (hooks in a setup file apply to the file's tests).
 *
 * Every test file's process loads this file afresh, and its cost grows with its code (docs/how-it-works.md,
 * measured choices). So the common case — clones ready, no reset — loads only the mapping; waiting for
 * provisioning and resetting load from setup-wait.js when a file needs them.
 */
import { readyManifest, setupWorker } from '@workerdb/core/worker'

const ready = readyManifest()
if (ready) setupWorker(process.env, ready)
else await (await import('./setup-wait.js')).waitMapAndReset()
