/**
 * The worker side, what every test file's process loads: kept tiny on purpose (no driver, no framework,
 * nothing of the runner side; a unit test holds it to that). Read the manifest, find this worker's clone,
 * export it into the environment before any test module loads — or fail right here, saying why.
 */
export { readManifest, readyManifest, waitForManifest } from './worker/read-manifest.js'
export { MANIFEST_ENV } from './runfile/manifest.js'
export { cloneFor, getWorkerDatabase, setupWorker, type WorkerDatabase } from './worker/setup.js'
export { claimWorkerDatabase } from './worker/claim.js'
export { registerTestReset, resetWorkerDatabase, type TestResetHooks } from './worker/test-reset.js'
export { WorkerDbError } from './errors.js'
export { useTransaction, testTransaction } from './isolation/transaction.js'
export type { TestTransaction, TransactionHooks, TransactionTarget } from './isolation/transaction.js'
