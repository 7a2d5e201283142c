/**
 * @workerdb/jest — `preset: '@workerdb/jest'`: every Jest worker gets its own PostgreSQL database, cloned
 * from one migrated template, exported as DATABASE_URL before any test module loads.
 *
 * This entry is imported by test code too, so it loads nothing heavy: the worker-side core and the
 * sequencer mixin (which needs nothing from Jest).
 */
import type { WorkerDbOptions } from '@workerdb/core'

export { getWorkerDatabase, WorkerDbError } from '@workerdb/core/worker'
export type { WorkerDatabase } from '@workerdb/core/worker'
export type { WorkerDbOptions } from '@workerdb/core'
export { withWorkerDb } from './runner/mixin.js'
export type { SequencerClass, TestLike } from './runner/mixin.js'

/**
 * For `workerdb.config.{ts,js}`. The same identity function as @workerdb/core's, defined here so that a test
 * file importing getWorkerDatabase does not load the whole engine (pg, config loader) once per file.
 */
export function defineConfig(options: WorkerDbOptions): WorkerDbOptions {
  return options
}
