/**
 * Jest setup file (the preset's first `setupFiles` entry): runs in each worker before any test module,
 * maps JEST_WORKER_ID to this run's clone and exports it — or throws E_NO_CLONE. CommonJS and tiny on
 * purpose: Jest loads setup files without ESM support, once per test file.
 *
 * When the clones exist and nothing needs resetting, the mapping happens right here, as the file loads.
 * Otherwise the function this file exports does it: Jest (28+) awaits it before the test framework and
 * the test module load. It waits while the runner is still provisioning (globalSetup returns before the
 * clones exist, so workers boot meanwhile), then maps, then resets (`reset: 'truncate'`). With `per:
 * 'test'` the reset's connection stays open for setup-after-env.ts, which registers the per-test hooks.
 */
import { readManifest, readyManifest, resetWorkerDatabase, setupWorker, waitForManifest } from '@workerdb/core/worker'
import { globalSetupReplacedError } from './global-setup-replaced.js'

const ready = readyManifest()
if (ready) setupWorker(process.env, ready)

export default async function mapAndResetWhenReady(): Promise<void> {
  if (ready) return
  const manifest = await waitForManifest()
  if (!manifest) {
    // No manifest to wait for: readManifest says why, unless the reporter saw a globalSetup replace ours.
    const foreign = globalSetupReplacedError(process.env)
    if (foreign) throw foreign
    readManifest()
  }
  setupWorker(process.env, manifest)
  await resetWorkerDatabase(process.env, manifest)
}
