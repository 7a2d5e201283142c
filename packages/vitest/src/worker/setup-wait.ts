/**
 * The setup file's other path (setup.ts): the runner is still provisioning, or the clone must be reset
 * first, or something is wrong that the worker must explain.
 */
import { resetWorkerDatabase, setupWorker, waitForManifest } from '@workerdb/core/worker'

export async function waitMapAndReset(): Promise<void> {
  // The runner provisions while the pool starts: wait here until this run's clones exist. One read of the
  // manifest serves all three steps.
  const manifest = await waitForManifest()
  setupWorker(process.env, manifest)
  await resetWorkerDatabase(process.env, manifest)
}
