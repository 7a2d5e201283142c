/**
 * Vitest globalSetup, added by the plugin. Vitest may run it once per project: the first call plans and
 * starts provisioning, later ones join, and the last teardown drops this run's clones.
 */
import { removeManifest, WorkerDbError } from '@workerdb/core/runner'
import { runs, type ProjectLike } from './state.js'
import { ensurePlanned, ensureProvisioned, providedFor } from './provision-run.js'
import { SETUP_FILE } from './paths.js'

export default async function setup(project: ProjectLike): Promise<() => Promise<void>> {
  const vitest = project.vitest
  const state = runs().get(vitest)
  if (!state) {
    throw new WorkerDbError('E_CONFIG', 'the workerdb globalSetup ran without the workerdb plugin',
      'Add `plugins: [workerDb()]` to vitest.config instead of listing the globalSetup by hand.')
  }
  state.refs++
  const planned = await ensurePlanned(state)
  // Not awaited: the pool starts meanwhile, and each worker's setup file waits for its clone.
  const provisioning = ensureProvisioned(state, planned)
  provisioning.catch(() => {}) // reported by the workers, and thrown by the teardown below
  // Projects that do not carry the plugin themselves (inline projects without `extends`) still need the
  // worker mapping: without it they would silently share DATABASE_URL.
  for (const p of vitest.projects) {
    if (!p.config.setupFiles.includes(SETUP_FILE)) p.config.setupFiles.unshift(SETUP_FILE)
  }
  // For `inject('workerdb')` in tests (plain JSON, no URLs).
  project.provide?.('workerdb', providedFor(state.runId, planned.run.plan, planned.config.prefix, planned.config.roles.map((r) => r.key)))
  return async () => {
    if (--state.refs > 0) return
    let run
    try {
      run = await provisioning
    } catch (err) {
      // The failed run's manifest only served its workers; the error goes to Vitest's report.
      removeManifest(state.manifestPath)
      throw err
    }
    try {
      await run.teardown()
    } catch (err) {
      // Vitest reports an error thrown here ("error during close") but still exits 0: the run must fail.
      process.exitCode = 1
      throw err
    }
  }
}
