/**
 * The CommonJS twin of setup.ts, for `require.resolve('@workerdb/vitest/setup')`: maps the worker to its
 * clone. No reset here (CommonJS cannot await at its top level); the plugin's ESM setup file does it.
 */
import { setupWorker } from '@workerdb/core/worker'

setupWorker()
