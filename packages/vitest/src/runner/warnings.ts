/**
 * Configurations Vitest itself mishandles, where workerdb cannot help but can say so before they bite.
 */
import type { VitestFacts } from '@workerdb/core'
import { vitestDefaultWorkers } from '@workerdb/core'

interface PoolOptions {
  isolate?: boolean
  minForks?: number
  maxForks?: number
  minThreads?: number
  maxThreads?: number
}

/**
 * Vitest 3, isolation off, fewer pre-started workers than the maximum: files get lost or the run dies
 * with "Terminating worker thread" (vitest#8133; 5 of 6 runs crashed in our e2e). Pure.
 */
export function vitest3IsolationWarning(f: VitestFacts & { minWorkers?: number; isolate?: boolean }): string | undefined {
  if (f.major > 3 || !f.fileParallelism) return undefined
  for (const pool of new Set(f.projects.filter((p) => p.specCount > 0).map((p) => p.pool))) {
    if (pool !== 'forks' && pool !== 'threads') continue
    const o = (f.poolOptions?.[pool] ?? {}) as PoolOptions
    if ((o.isolate ?? f.isolate ?? true) !== false) continue
    const forks = pool === 'forks'
    const max = (forks ? o.maxForks : o.maxThreads) ?? f.maxWorkers ?? vitestDefaultWorkers(f.cpus, f.watch)
    const min = (forks ? o.minForks : o.minThreads) ?? f.minWorkers ?? Math.min(vitestDefaultWorkers(f.cpus, f.watch), max)
    if (min < max) {
      const key = forks ? 'minForks' : 'minThreads'
      return `Vitest 3 with isolate: false and ${min} pre-started of ${max} ${pool} workers can lose test files or crash ("Terminating worker thread", vitest#8133); set poolOptions.${pool}.${key}: ${max}, or keep isolation on`
    }
  }
  return undefined
}

/** What Vitest 4's `groupSpecs` reads of one spec's project. */
export interface SpecGroupFacts {
  project: string
  pool: string
  /** `project.config.sequence.groupOrder` (0 when unset). */
  groupOrder: number
  isolate?: boolean
  maxWorkers?: number
}

const WORKER_POOLS = new Set(['forks', 'threads', 'vmForks', 'vmThreads'])

/**
 * Vitest 4.0–4.1 runs its sequence groups (one per `sequence.groupOrder`, then type checks, then the files
 * of projects with `maxWorkers: 1`) one after another on one pool, and gives each group a fresh map of free
 * ids (`Pool.setMaxWorkers`). The last tasks of a group free their ids only after the next group has
 * started — into the NEW map — so a later task of the next group takes an id a running task holds: two test
 * files run at once with one VITEST_POOL_ID (in our e2e: 3 of 5 runs of root maxWorkers 2 + a project with
 * maxWorkers 6 and groupOrder 1; also with equal maxWorkers). Vitest 5 keeps each group's map for its own
 * frees. More clones cannot help: returns the groups, in run order, when a group after the first runs test
 * files in workers. Pure.
 */
export function vitest4SequenceGroups(major: number, specs: SpecGroupFacts[]): string[] | undefined {
  if (major !== 4) return undefined
  const groups = new Map<string, { rank: number; projects: Set<string>; workers: boolean }>()
  for (const s of specs) {
    const [key, rank] = s.pool === 'typescript'
      ? ['type checks', Number.MAX_SAFE_INTEGER - 1]
      : s.isolate === true && s.groupOrder === 0 && s.maxWorkers === 1
        ? ['maxWorkers 1', Number.MAX_SAFE_INTEGER]
        : [`groupOrder ${s.groupOrder}`, s.groupOrder]
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { rank, projects: new Set(), workers: false }))
    g.projects.add(s.project || '(root)')
    if (WORKER_POOLS.has(s.pool)) g.workers = true
  }
  const ordered = [...groups].sort((a, b) => a[1].rank - b[1].rank)
  if (ordered.length < 2 || !ordered.slice(1).some(([, g]) => g.workers)) return undefined
  return ordered.map(([key, g]) => `${key} (${[...g.projects].map((p) => JSON.stringify(p)).join(', ')})`)
}
