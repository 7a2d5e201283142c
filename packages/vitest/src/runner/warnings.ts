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
