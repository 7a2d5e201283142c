import { positive, type Plan } from './plan.js'
import { plural } from '../log.js'

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
  parts.push(f.sequencerRan ? `${plural(files, 'test file')}` : 'test files not counted (workerdb\'s sequencer did not run)')
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
