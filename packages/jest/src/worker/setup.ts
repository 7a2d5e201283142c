/**
 * Jest setup file (the preset's first `setupFiles` entry): runs in each worker before any test module,
 * maps JEST_WORKER_ID to this run's clone and exports it — or throws E_NO_CLONE right here. CommonJS
 * and tiny on purpose: Jest loads setup files without ESM support, once per test file.
 */
import { setupWorker } from '@workerdb/core/worker'

setupWorker()
