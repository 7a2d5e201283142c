/**
 * The runner side of one Vitest run: plan from the specs, provision once, grow for watch reruns, tear
 * down when the last globalSetup that joined lets go.
 */
import {
  cloneName, createLogger, planVitest, roleName, provision, resolveConfig, vitest3IsolationWarning, vitest3MixedPools, vitest4SequenceGroups, WorkerDbError,
  writeFailedManifest, writePendingManifest,
  type Logger, type Plan, type Provisioned, type ResolvedConfig, type RunIdentity,
} from '@workerdb/core/runner'
import { collectFacts, vitestMajor } from './facts.js'
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
  const groups = vitest4SequenceGroups(facts.major, specs.map((s) => ({
    project: s.project.name, pool: s.pool ?? s.project.config.pool,
    groupOrder: Number(s.project.config.sequence?.groupOrder ?? 0), isolate: s.project.config.isolate,
    maxWorkers: typeof s.project.config.maxWorkers === 'number' ? s.project.config.maxWorkers : undefined,
  })))
  if (groups) {
    throw new WorkerDbError('E_SEQUENCE_GROUPS',
      `this run has ${groups.length} sequence groups, run one after another: ${groups.join(', then ')}; Vitest ${state.vitest.version ?? 4} frees the ids of a group's last files into the next group's slots, so two test files can run at once with one VITEST_POOL_ID and share a database`,
      'Upgrade to Vitest 5 (fixed there), or give these projects the same maxWorkers and sequence.groupOrder, or run each group in its own `vitest --project …` invocation.')
  }
  return planVitest(facts)
}

/** Specs when the reporter did not see them (e.g. the plugin sits only in the root config of a projects setup). */
function fallbackSpecs(state: RunState): SpecLike[] {
  const paths = state.vitest.state?.getPaths?.() ?? []
  const project = state.vitest.projects[0]
  return paths.map((moduleId) => ({ moduleId, project, pool: project?.config.pool }))
}

/** What globalSetup awaits: config and plan, whose errors (E_CONFIG, E_MIXED_POOLS…) end the run before any worker starts. */
export interface Planned {
  config: ResolvedConfig
  log: Logger
  run: RunIdentity
}

export function ensurePlanned(state: RunState): Promise<Planned> {
  state.planned ??= (async () => {
    const config = await resolveConfig(state.options, state.root)
    const log = createLogger({ silent: config.silent })
    const specs = state.specs ?? fallbackSpecs(state)
    const plan = planFor(state, specs)
    const c = state.vitest.config
    const warning = vitest3IsolationWarning({ ...collectFacts(state.vitest, specs), minWorkers: c.minWorkers, isolate: c.isolate })
    if (warning) log.warn(warning)
    const framework = `vitest ${state.vitest.version ?? vitestMajor(state.vitest)}`
    return { config, log, run: { runId: state.runId, framework, plan, env: config.env, workerIdVar: WORKER_ID_VAR } }
  })()
  return state.planned
}

/**
 * Provisioning runs while Vitest starts its workers — process start and imports, 0.4–0.8 s on 2 cores
 * (measured), which a warm run's provisioning fits in. The manifest says `pending` until the clones exist,
 * and the setup file waits for that; a failure is written there too, so every worker reports the run's
 * own error. The teardown awaits this promise, so a failed run fails even if no test file got that far.
 */
export function ensureProvisioned(state: RunState, planned: Planned): Promise<Provisioned> {
  state.provisioned ??= (async () => {
    writePendingManifest(state.manifestPath, planned.run)
    try {
      // dropInBackground: `vitest run` exits without waiting for the server to drop the clones.
      return await provision({ config: planned.config, plan: planned.run.plan, log: planned.log, runId: state.runId, workerIdVar: WORKER_ID_VAR, framework: planned.run.framework, dropInBackground: true })
    } catch (err) {
      writeFailedManifest(state.manifestPath, planned.run, err)
      throw err
    }
  })()
  return state.provisioned
}

/** For `inject('workerdb')` in tests. Plain JSON (Vitest 3 forks serialize it), and no URLs: passwords
 * stay in the manifest file (mode 0600) and the worker's own env. Names are known before the clones exist. */
export function providedFor(runId: string, plan: Plan, prefix: string, roleKeys: readonly string[] = []) {
  return {
    runId,
    plan: { count: plan.count, reason: plan.reason },
    clones: Array.from({ length: plan.count }, (_, i) => {
      const database = cloneName(prefix, runId, i + 1)
      // Per-worker roles (config `roles`): their names, by key.
      return { slot: i + 1, database, ...(roleKeys.length ? { roles: Object.fromEntries(roleKeys.map((key) => [key, roleName(database, key)])) } : {}) }
    }),
  }
}

/** Watch reruns: the plan may need more clones than the first run made (new files, other projects). */
export async function growFor(state: RunState, specs: SpecLike[]): Promise<void> {
  if (!state.provisioned) return
  const run = await state.provisioned
  const before = run.manifest.clones.length
  await run.grow(planFor(state, specs))
  // Vitest reads each project's provided context when it starts a run's workers: list the new clones too.
  if (run.manifest.clones.length > before) {
    const { config } = await ensurePlanned(state)
    for (const p of state.vitest.projects) p.provide?.('workerdb', providedFor(run.runId, run.manifest.plan, config.prefix, config.roles.map((r) => r.key)))
  }
}
