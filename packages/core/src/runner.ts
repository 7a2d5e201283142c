/**
 * @workerdb/core/runner — for the framework adapters (@workerdb/vitest, @workerdb/jest) and tools that
 * drive a run themselves: resolve the config, plan the workers, provision, hand the manifest to workers.
 * Users' test code needs none of this: see the main entry.
 */
export { findConfigFile, findPackageDir, CONFIG_FILES } from './config/load.js'
export { resolveConfig } from './config/resolve.js'
export { validateOptions } from './config/validate.js'
export type { ResolvedConfig } from './config/options.js'
export type { Plan } from './plan/plan.js'
export { planJest } from './plan/jest.js'
export type { JestFacts } from './plan/jest.js'
export { planPlaywright } from './plan/playwright.js'
export type { PlaywrightFacts } from './plan/playwright.js'
export { planVitest, vitest3IsolationWarning, vitest3MixedPools, vitest4SequenceGroups, vitestDefaultWorkers } from './plan/vitest.js'
export type { SpecGroupFacts, VitestFacts, VitestProjectFacts, VitestPool } from './plan/vitest.js'
export { provision } from './engine/provision.js'
export type { Provisioned, ProvisionOptions, ProvisionSummary } from './engine/provision.js'
export { MANIFEST_ENV, manifestPathFor, removeManifest, writePendingManifest, writeFailedManifest } from './runfile/manifest.js'
export type { Manifest, CloneEntry, RunIdentity } from './runfile/manifest.js'
export { newRunId, cloneName, roleName } from './catalog/names.js'
export { createLogger, plural } from './log.js'
export type { Logger } from './log.js'
export { redactUrl, redactText } from './url.js'
export { loadDriver } from './catalog/postgres/db.js'
export { startEmbedded } from './server/embedded.js'
export { startTestcontainers } from './server/testcontainers.js'
export { WorkerDbError, isWorkerDbError } from './errors.js'
