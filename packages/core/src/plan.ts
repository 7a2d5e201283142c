/**
 * The plan: how many clones a run needs. This is where Django's parallel runner went wrong (it made
 * min(processes, test classes) clones but started `processes` workers), so every rule below comes from
 * reading the framework's pool code, and each has a unit test. The one law: never fewer clones than
 * worker ids that can run.
 */

export interface Plan {
  /** Clones to make: worker ids 1..count each get one. */
  count: number
  /** The inputs in one human line, for the summary and for E_NO_CLONE: "vitest 4, pool forks, maxWorkers 4, 6 test files". */
  reason: string
}

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
const WORKER_POOLS = new Set(['forks', 'threads', 'vmForks', 'vmThreads'])

export function planVitest(f: VitestFacts): Plan {
  const active = f.projects.filter((p) => p.specCount > 0 && WORKER_POOLS.has(p.pool))
  const files = active.reduce((n, p) => n + p.specCount, 0)
  const pools = [...new Set(active.map((p) => p.pool))]
  const parts = [`vitest ${f.major}`, `pool ${pools.join('+') || 'none'}`]
  const filesPart = `${files} test file${files === 1 ? '' : 's'}`

  if (active.length === 0) return { count: 0, reason: [...parts, filesPart].join(', ') }

  if (f.major <= 3) {
    // Vitest 3: one tinypool per pool type, sized from the ROOT config; slots 1..max are taken when workers
    // spawn and idle pre-started workers keep theirs, so a watch rerun of 2 files can run on ids {3,4}.
    // Capping at the file count is exactly the seed bug: size to the pool.
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

function positive(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined
}

/**
 * Jest 29.7 / 30 (`@jest/core` runJest + TestScheduler, `jest-runner`, `jest-worker`): not in band, Jest
 * forks exactly `maxWorkers` processes (ids 1..maxWorkers) and hands files out round-robin with at most
 * maxWorkers in flight, so only ids 1..min(files, maxWorkers) ever get one. In band, the main process runs
 * every file with JEST_WORKER_ID='1'. Restarted workers (workerIdleMemoryLimit, crashes) keep their id,
 * and watch mode runs globalSetup (and so this plan) again before every rerun, on a fresh pool.
 */
export interface JestFacts {
  /** Jest's major version, for the reason line. */
  major: number
  /** `globalConfig.maxWorkers`: Jest has already folded --maxWorkers, percentages, -i and its default into it. */
  maxWorkers: number
  /** Test files of this run after --shard, as counted by workerdb's sequencer; ignored when it did not run. */
  files: number
  /** `--runInBand` / `-i`: every file in the main process. */
  runInBand: boolean
  /** Implies in band (Jest cannot watch handles in workers). */
  detectOpenHandles?: boolean
  watch?: boolean
  /** Set: Jest uses workers even for one file, and recycles them (same id). */
  workerIdleMemoryLimit?: number | string | null
  /** False when the configured testSequencer is not workerdb's: the file count is unknown. */
  sequencerRan: boolean
}

export function planJest(f: JestFacts): Plan {
  const maxWorkers = positive(f.maxWorkers) ?? 1
  const inBandFlag = f.runInBand ? '--runInBand' : f.detectOpenHandles ? '--detectOpenHandles' : undefined
  const parts = [`jest ${f.major}`, inBandFlag ? `in band (${inBandFlag})` : `maxWorkers ${maxWorkers}`]
  const files = Math.max(0, Math.floor(f.files))
  parts.push(f.sequencerRan ? `${files} test file${files === 1 ? '' : 's'}` : 'test files not counted (workerdb\'s sequencer did not run)')
  if (f.watch) parts.push('watch')
  if (f.workerIdleMemoryLimit !== undefined && f.workerIdleMemoryLimit !== null) parts.push(`workerIdleMemoryLimit ${f.workerIdleMemoryLimit}`)
  const reason = parts.join(', ')

  if (f.sequencerRan && files === 0) return { count: 0, reason }
  // In band by flag: one process, JEST_WORKER_ID='1'. (The timing cache can also flip a run to in band,
  // but that needs no rule: id 1 is within any count below.)
  if (inBandFlag) return { count: 1, reason }
  if (!f.sequencerRan) return { count: maxWorkers, reason }
  return { count: Math.min(maxWorkers, files), reason }
}
