/**
 * Reads the resolved Vitest config and this run's specs into the planner's facts. The rules live in
 * @workerdb/core's `planVitest`; this file only knows where Vitest keeps each number.
 */
import { availableParallelism } from 'node:os'
import type { VitestFacts } from '@workerdb/core/runner'
import type { SpecLike, VitestLike } from './state.js'

export function vitestMajor(vitest: VitestLike): number {
  return Number(String(vitest.version ?? '4').split('.')[0]) || 4
}

export function collectFacts(vitest: VitestLike, specs: SpecLike[]): VitestFacts {
  const counts = new Map<object, { name: string; pool: string; maxWorkers?: number; specCount: number }>()
  for (const spec of specs) {
    const p = spec.project
    let entry = counts.get(p)
    if (!entry) {
      entry = { name: p.name, pool: spec.pool ?? p.config.pool, maxWorkers: numberOrUndefined(p.config.maxWorkers), specCount: 0 }
      counts.set(p, entry)
    }
    entry.specCount++
  }
  const c = vitest.config
  return {
    major: vitestMajor(vitest),
    watch: Boolean(c.watch),
    cpus: availableParallelism(),
    fileParallelism: c.fileParallelism !== false,
    maxWorkers: numberOrUndefined(c.maxWorkers),
    poolOptions: c.poolOptions,
    projects: [...counts.values()],
  }
}

/**
 * The specs this process will run. Vitest 3 and 4 hand reporters every spec and apply --shard later,
 * inside the pool, with the configured sequencer: do the same here. Vitest 5 shards in `start()` before
 * `onTestRunStart` (`_shardSpecifications`), so its specs are this shard's already: sharding them again
 * would plan for half of them, and a worker beyond that half would find no clone.
 */
export async function shardSpecs(vitest: VitestLike, specs: SpecLike[]): Promise<SpecLike[]> {
  if (!vitest.config.shard || vitestMajor(vitest) >= 5) return specs
  const Sequencer = vitest.config.sequence.sequencer
  return new Sequencer(vitest).shard([...specs])
}

function numberOrUndefined(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}
