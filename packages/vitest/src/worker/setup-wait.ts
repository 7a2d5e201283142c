/**
 * The setup file's other path (setup.ts): the runner is still provisioning, or the clone must be reset
 * first, or something is wrong that the worker must explain.
 */
import { registerTestReset, resetWorkerDatabase, setupWorker, waitForManifest, WorkerDbError, type TestResetHooks } from '@workerdb/core/worker'

export async function waitMapAndReset(): Promise<void> {
  // The runner provisions while the pool starts: wait here until this run's clones exist. One read of the
  // manifest serves all three steps.
  const manifest = await waitForManifest()
  setupWorker(process.env, manifest)
  if (manifest?.reset?.per === 'test') checkHookOrder()
  await resetWorkerDatabase(process.env, manifest)
  // `reset: { truncate: true, per: 'test' }`: a beforeEach (and an afterAll that ends its connection) in the
  // file being set up. Registered here, before the test module loads, so it runs before the file's own.
  if (manifest?.reset?.per === 'test') registerTestReset(await vitestHooks())
}

interface VitestGlobals {
  __vitest_index__?: TestResetHooks
  __vitest_worker__?: { config?: { sequence?: { hooks?: string } } }
}

/**
 * The hooks of the Vitest running this file. Not `import('vitest')`: resolved from this package, that can
 * be another copy than the project's (a workspace link, a nested install), whose hooks register nowhere.
 * Vitest 3–5 put the running one's exports on globalThis before setup files run (it backs
 * `import.meta.vitest`); the import is the fallback.
 */
async function vitestHooks(): Promise<TestResetHooks> {
  const running = (globalThis as VitestGlobals).__vitest_index__
  if (running && typeof running.beforeEach === 'function' && typeof running.afterAll === 'function') return running
  return (await import('vitest')) as TestResetHooks
}

/** `sequence.hooks: 'parallel'` would run the reset alongside the file's own beforeEach, which may be seeding. */
function checkHookOrder(): void {
  const order = (globalThis as VitestGlobals).__vitest_worker__?.config?.sequence?.hooks
  if (order === 'parallel') {
    throw new WorkerDbError('E_CONFIG', "reset per test needs beforeEach hooks to run one after another, but this project sets sequence.hooks: 'parallel'",
      "Remove sequence.hooks (the default, 'stack', runs workerdb's reset before your own beforeEach), set it to 'list', or use reset: 'truncate' (per file).")
  }
}
