/**
 * Reads Jest's resolved global config into the planner's facts. The rules live in @workerdb/core's
 * `planJest`; this file only knows where Jest keeps each number.
 */
import type { JestFacts } from '@workerdb/core/runner'
import type { SequencerRecord } from './state.js'

/** The fields of Jest 29/30's GlobalConfig that workerdb reads (typed loosely: the two majors differ elsewhere). */
export interface JestGlobalConfigLike {
  rootDir: string
  maxWorkers: number
  runInBand?: boolean
  detectOpenHandles?: boolean
  watch?: boolean
  watchAll?: boolean
  workerIdleMemoryLimit?: number | string | null
}

export function jestMajor(version: string | undefined): number {
  return Number(String(version ?? '').split('.')[0]) || 0
}

export function collectFacts(g: JestGlobalConfigLike, version: string | undefined, record: SequencerRecord | undefined): JestFacts {
  return {
    major: jestMajor(version),
    maxWorkers: g.maxWorkers,
    files: record?.files ?? 0,
    runInBand: Boolean(g.runInBand),
    detectOpenHandles: Boolean(g.detectOpenHandles),
    watch: Boolean(g.watch || g.watchAll),
    workerIdleMemoryLimit: g.workerIdleMemoryLimit ?? undefined,
    sequencerRan: record !== undefined,
  }
}
