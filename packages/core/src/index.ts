/**
 * @workerdb/core — one PostgreSQL database per parallel test worker, cloned from a migrated template.
 * This entry is what a project's own code uses: the config's shape, the worker's database, the isolation
 * helpers and the errors. The framework adapters use `@workerdb/core/runner` (the main process) and
 * `@workerdb/core/worker` (each test file's process); no test framework is imported here.
 */
export { defineConfig } from './config/options.js'
export type { WorkerDbOptions, ServerOption, MigrateOption, ConfigContext, ConfigExport, RolesOption } from './config/options.js'
export type { EnvOption, EnvSpec, EnvPart, ConnectionPart, RolePart } from './env.js'
export type { ResetOption, ResetPer } from './isolation/reset-plan.js'
export type { Migrator } from './migrate/types.js'
export type { EmbeddedOptions } from './server/embedded.js'
export type { TestcontainersOptions } from './server/testcontainers.js'
export { WorkerDbError, isWorkerDbError } from './errors.js'
export type { WorkerDbErrorCode } from './errors.js'
export { getWorkerDatabase, registerTestReset, resetWorkerDatabase } from './worker.js'
export type { TestResetHooks, WorkerDatabase } from './worker.js'
export { useTransaction, testTransaction } from './isolation/transaction.js'
export type { TestTransaction, TransactionHooks, TransactionTarget } from './isolation/transaction.js'
export type { CloneRole, CloneRoles } from './catalog/dialect.js'
