/**
 * Vitest globalSetup, added by the plugin. Vitest may run it once per project: the first call
 * provisions, later ones join, and the last teardown drops this run's clones.
 */
import { WorkerDbError } from '@workerdb/core'
import { runs, type ProjectLike } from './state.js'
import { ensureProvisioned, providedFor } from './provision-run.js'
import { SETUP_FILE } from './paths.js'

export default async function setup(project: ProjectLike): Promise<() => Promise<void>> {
  const vitest = project.vitest
  const state = runs().get(vitest)
  if (!state) {
    throw new WorkerDbError('E_CONFIG', 'the workerdb globalSetup ran without the workerdb plugin',
      'Add `plugins: [workerDb()]` to vitest.config instead of listing the globalSetup by hand.')
  }
  state.refs++
  const run = await ensureProvisioned(state)
  // Projects that do not carry the plugin themselves (inline projects without `extends`) still need the
  // worker mapping: without it they would silently share DATABASE_URL.
  for (const p of vitest.projects) {
    if (!p.config.setupFiles.includes(SETUP_FILE)) p.config.setupFiles.unshift(SETUP_FILE)
  }
  // For `inject('workerdb')` in tests (plain JSON, no URLs).
  project.provide?.('workerdb', providedFor(run))
  return async () => {
    if (--state.refs > 0) return
    await run.teardown()
  }
}
