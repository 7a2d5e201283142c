/**
 * The runner side of one Vitest run: plan from the specs, provision once, grow for watch reruns, tear
 * down when the last globalSetup that joined lets go.
 */
import { createLogger, planVitest, provision, resolveConfig, vitest3MixedPools, WorkerDbError, type Plan, type Provisioned } from '@workerdb/core'
import { collectFacts, vitestMajor } from './facts.js'
import { vitest3IsolationWarning } from './warnings.js'
import type { RunState, SpecLike } from './state.js'

export const WORKER_ID_VAR = 'VITEST_POOL_ID'

export function planFor(state: RunState, specs: SpecLike[]): Plan {
  const facts = collectFacts(state.vitest, specs)
  const mixed = vitest3MixedPools(facts)
  if (mixed.length) {
    throw new WorkerDbError('E_MIXED_POOLS',
      `this run uses the pools ${mixed.join(' and ')} at once; Vitest 3 numbers each pool's workers from 1, so two workers would share one database`,
      'Run one pool type per `vitest` invocation (e.g. `vitest --project unit` then `vitest --project db`), or upgrade to Vitest 4, which numbers all workers in one pool.')
  }
  return planVitest(facts)
}

/** Specs when the reporter did not see them (e.g. the plugin sits only in the root config of a projects setup). */
function fallbackSpecs(state: RunState): SpecLike[] {
  const paths = state.vitest.state?.getPaths?.() ?? []
  const project = state.vitest.projects[0]
  return paths.map((moduleId) => ({ moduleId, project, pool: project?.config.pool }))
}

export function ensureProvisioned(state: RunState): Promise<Provisioned> {
  state.provisioned ??= (async () => {
    const config = await resolveConfig(state.options, state.root)
    const log = createLogger({ silent: config.silent })
    const specs = state.specs ?? fallbackSpecs(state)
    const plan = planFor(state, specs)
    const c = state.vitest.config
    const warning = vitest3IsolationWarning({ ...collectFacts(state.vitest, specs), minWorkers: c.minWorkers, isolate: c.isolate })
    if (warning) log.warn(warning)
    return provision({
      config, plan, log, runId: state.runId, workerIdVar: WORKER_ID_VAR,
      framework: `vitest ${state.vitest.version ?? vitestMajor(state.vitest)}`,
    })
  })()
  return state.provisioned
}

/** Watch reruns: the plan may need more clones than the first run made (new files, other projects). */
export async function growFor(state: RunState, specs: SpecLike[]): Promise<void> {
  if (!state.provisioned) return
  const run = await state.provisioned
  await run.grow(planFor(state, specs))
}
