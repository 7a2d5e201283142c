/**
 * @workerdb/playwright — for playwright.config.ts: `withWorkerDb(config)` adds workerdb's globalSetup ahead
 * of the config's own. Test files import `test` and `expect` from '@workerdb/playwright/test'.
 */
import { join } from 'node:path'

export { defineConfig } from '@workerdb/core'
import type { WorkerDbOptions as CoreWorkerDbOptions } from '@workerdb/core'

// An alias rather than `export type { … } from`: the bundled .d.ts drops the `type` modifier (as in @workerdb/jest).
export type WorkerDbOptions = CoreWorkerDbOptions

/** workerdb's globalSetup, by path (Playwright requires globalSetup files by path). */
export const GLOBAL_SETUP = join(__dirname, 'global-setup.js')

/**
 * The config with workerdb's globalSetup first: the clones exist before the project's own globalSetup
 * runs (it may seed through DATABASE_URL's template) and before any worker starts. Everything else kept.
 */
export function withWorkerDb<T extends { globalSetup?: string | string[] }>(config: T): T {
  const own = config.globalSetup === undefined ? [] : Array.isArray(config.globalSetup) ? config.globalSetup : [config.globalSetup]
  return { ...config, globalSetup: [GLOBAL_SETUP, ...own.filter((file) => file !== GLOBAL_SETUP)] }
}
