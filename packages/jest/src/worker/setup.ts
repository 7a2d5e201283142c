/**
 * Jest setup file (the preset's first `setupFiles` entry): runs in each worker before any test module,
 * maps JEST_WORKER_ID to this run's clone and exports it — or throws E_NO_CLONE right here. CommonJS
 * and tiny on purpose: Jest loads setup files without ESM support, once per test file.
 */
import { readManifest, resetWorkerDatabase, setupWorker } from '@workerdb/core/worker'
import { globalSetupReplacedError } from './global-setup-replaced.js'

// Read once for both steps: this file runs before every test file.
let manifest: ReturnType<typeof readManifest>
try {
  manifest = readManifest()
} catch (err) {
  throw globalSetupReplacedError(process.env) ?? err
}
setupWorker(process.env, manifest)

/**
 * `reset: 'truncate'`: a setup file cannot await at its top level (CommonJS), but Jest (28+) awaits a
 * function a setup file exports, before the test framework and the test module load.
 */
export default async function resetBeforeTestFile(): Promise<void> {
  await resetWorkerDatabase(process.env, manifest)
}
