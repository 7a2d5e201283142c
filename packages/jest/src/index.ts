/**
 * @workerdb/jest — `preset: '@workerdb/jest'`: every Jest worker gets its own PostgreSQL database, cloned
 * from one migrated template, exported as DATABASE_URL before any test module loads.
 *
 * This entry is imported by test code too, so it loads nothing heavy: the worker-side core and the
 * sequencer mixin (which needs nothing from Jest).
 */
import type { WorkerDbOptions as CoreWorkerDbOptions } from '@workerdb/core'
import type { WorkerDatabase as CoreWorkerDatabase } from '@workerdb/core/worker'
import type * as CoreWorker from '@workerdb/core/worker'

export { getWorkerDatabase, WorkerDbError, useTransaction, testTransaction } from '@workerdb/core/worker'
// Aliases rather than `export type { … } from`: the bundled .d.ts drops the `type` modifier, and a name it
// re-exports from another package then reads as a value this CommonJS build lacks (attw: NamedExports).
export type WorkerDatabase = CoreWorkerDatabase
export type WorkerDbOptions = CoreWorkerDbOptions
export type TestTransaction = CoreWorker.TestTransaction
export type TransactionHooks = CoreWorker.TransactionHooks
export type TransactionTarget = CoreWorker.TransactionTarget
export { withWorkerDb } from './runner/mixin.js'
export { addWorkerDb } from './add-workerdb.js'
export type { JestConfigLike, WorkerDbPieces } from './add-workerdb.js'
export type { SequencerClass, TestLike } from './runner/mixin.js'

/**
 * For `workerdb.config.{ts,js}`. The same identity function as @workerdb/core's, defined here so that a test
 * file importing getWorkerDatabase does not load the whole engine (pg, config loader) once per file.
 */
export function defineConfig(options: WorkerDbOptions): WorkerDbOptions {
  return options
}
