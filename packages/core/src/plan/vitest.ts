/**
 * Vitest's pools (3.2, 4.1, 5.1: `packages/vitest/src/node/pool*`): how many worker ids a run can use, and
 * the configurations Vitest itself mishandles, where workerdb cannot help but can say so before they bite.
 */
import { positive, type Plan } from './plan.js'
import { plural } from '../log.js'

/** Vitest's default worker count (`packages/vitest/src/node/pools/…`): cores − 1 for run, half the cores in watch. */
export function vitestDefaultWorkers(cpus: number, watch: boolean): number {
  return watch ? Math.max(Math.floor(cpus / 2), 1) : Math.max(cpus - 1, 1)
}

export type VitestPool = 'forks' | 'threads' | 'vmForks' | 'vmThreads' | 'typescript' | 'browser' | (string & {})

export interface VitestPoolOptions {
  maxForks?: number
  maxThreads?: number
  singleFork?: boolean
  singleThread?: boolean
}

export interface VitestProjectFacts {
  name: string
  pool: VitestPool
  /** The project's own resolved maxWorkers (Vitest 4+ honours it per project). */
  maxWorkers?: number
  /** Test files of this project in this run, after --shard. */
  specCount: number
}

export interface VitestFacts {
  major: number
  watch: boolean
  cpus: number
  fileParallelism: boolean
  /** Root config maxWorkers (resolved to a number, or undefined when unset). */
  maxWorkers?: number
  /** Vitest 3: root `poolOptions`, keyed by pool name. */
  poolOptions?: Partial<Record<string, VitestPoolOptions>>
  projects: VitestProjectFacts[]
}

/** Pools that run test files in workers that read VITEST_POOL_ID. */
const WORKER_POOLS: ReadonlySet<string> = new Set(['forks', 'threads', 'vmForks', 'vmThreads'])

export function planVitest(f: VitestFacts): Plan {
  const active = f.projects.filter((p) => p.specCount > 0 && WORKER_POOLS.has(p.pool))
  const files = active.reduce((n, p) => n + p.specCount, 0)
  const pools = [...new Set(active.map((p) => p.pool))]
  const parts = [`vitest ${f.major}`, `pool ${pools.join('+') || 'none'}`]
  const filesPart = `${plural(files, 'test file')}`

  if (active.length === 0) return { count: 0, reason: [...parts, filesPart].join(', ') }

  if (f.major <= 3) {
    // Vitest 3: one tinypool per pool type, sized from the ROOT config; slots 1..max are taken when workers
    // spawn and idle pre-started workers keep theirs, so a watch rerun of 2 files can run on ids {3,4}.
    // So never cap at the file count (a worker id beyond it would have no clone): size to the pool.
    let count = 1
    const sizes: string[] = []
    for (const pool of pools) {
      const size = vitest3PoolSize(f, pool)
      sizes.push(pools.length > 1 ? `${pool} ${size}` : `max ${size}`)
      count = Math.max(count, size)
    }
    return { count, reason: [...parts, ...sizes, filesPart].join(', ') }
  }

  // Vitest 4+: one pool for all projects; a task takes the lowest free id in 1..M of its group, where
  // M = project.maxWorkers || root maxWorkers || default. No more ids than tasks can be in flight, except
  // in watch mode, where later reruns (new files) may run more files than the first run saw.
  const m = Math.max(...active.map((p) => vitest4MaxWorkers(f, p)))
  const count = f.watch ? m : Math.max(1, Math.min(m, files))
  return { count, reason: [...parts, `maxWorkers ${m}`, filesPart, ...(f.watch ? ['watch'] : [])].join(', ') }
}

function vitest3PoolSize(f: VitestFacts, pool: VitestPool): number {
  if (!f.fileParallelism) return 1
  const o = f.poolOptions?.[pool] ?? {}
  const forksLike = pool === 'forks' || pool === 'vmForks'
  if (forksLike ? o.singleFork : o.singleThread) return 1
  const max = forksLike ? o.maxForks : o.maxThreads
  return positive(max) ?? positive(f.maxWorkers) ?? vitestDefaultWorkers(f.cpus, f.watch)
}

function vitest4MaxWorkers(f: VitestFacts, p: VitestProjectFacts): number {
  if (!f.fileParallelism) return 1
  return positive(p.maxWorkers) ?? positive(f.maxWorkers) ?? vitestDefaultWorkers(f.cpus, f.watch)
}

/** Vitest 3 runs pool types side by side, each numbering its workers from 1: their ids meet. */
export function vitest3MixedPools(f: VitestFacts): string[] {
  if (f.major > 3) return []
  const pools = new Set(f.projects.filter((p) => p.specCount > 0 && WORKER_POOLS.has(p.pool)).map((p) => p.pool))
  return pools.size > 1 ? [...pools] : []
}

interface PoolOptions {
  isolate?: boolean
  minForks?: number
  maxForks?: number
  minThreads?: number
  maxThreads?: number
}

/**
 * Vitest 3, isolation off, fewer pre-started workers than the maximum: files get lost or the run dies
 * with "Terminating worker thread" (vitest#8133). Pure.
 */
export function vitest3IsolationWarning(f: VitestFacts & { minWorkers?: number; isolate?: boolean }): string | undefined {
  if (f.major > 3 || !f.fileParallelism) return undefined
  for (const pool of new Set(f.projects.filter((p) => p.specCount > 0).map((p) => p.pool))) {
    if (pool !== 'forks' && pool !== 'threads') continue
    const poolOpts = (f.poolOptions?.[pool] ?? {}) as PoolOptions
    if ((poolOpts.isolate ?? f.isolate ?? true) !== false) continue
    const forks = pool === 'forks'
    const max = (forks ? poolOpts.maxForks : poolOpts.maxThreads) ?? f.maxWorkers ?? vitestDefaultWorkers(f.cpus, f.watch)
    const min = (forks ? poolOpts.minForks : poolOpts.minThreads) ?? f.minWorkers ?? Math.min(vitestDefaultWorkers(f.cpus, f.watch), max)
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

/**
 * Vitest 4.0–4.1 runs its sequence groups (one per `sequence.groupOrder`, then type checks, then the files
 * of projects with `maxWorkers: 1`) one after another on one pool, and gives each group a fresh map of free
 * ids (`Pool.setMaxWorkers`). The last tasks of a group free their ids only after the next group has
 * started — into the NEW map — so a later task of the next group takes an id a running task holds: two test
 * files run at once with one VITEST_POOL_ID (with different maxWorkers per group and with equal ones).
 * Vitest 5 keeps each group's map for its own frees. More clones cannot help: returns the groups, in run
 * order, when a group after the first runs test files in workers. Pure.
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
