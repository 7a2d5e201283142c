/**
 * Playwright globalSetup (added by `withWorkerDb(config)`, or listed as '@workerdb/playwright/global-setup').
 * Runs in Playwright's main process once the worker count is final and before any worker starts: plans a
 * clone per worker that may run, provisions them, and sets WORKERDB_MANIFEST, which every worker inherits.
 * Returns the teardown, which Playwright calls after the last worker has finished.
 */
import { dirname, join } from 'node:path'
import { createLogger, planPlaywright, provision, resolveConfig } from '@workerdb/core/runner'
import { PLAYWRIGHT_SLOT_ENV } from '../slot.js'
import { withPreload } from './preload-option.js'

/** The worker preload, built next to this file (dist/preload.js). */
const PRELOAD = join(__dirname, 'preload.js')

/** What Playwright hands globalSetup (its FullConfig), as far as workerdb reads it. */
export interface PlaywrightConfigLike {
  configFile?: string
  rootDir: string
  workers: number
  version: string
  shard: { current: number; total: number } | null
}

export default async function globalSetup(config: PlaywrightConfigLike): Promise<() => Promise<void>> {
  const started = performance.now()
  const resolved = await resolveConfig({}, config.configFile ? dirname(config.configFile) : config.rootDir)
  const log = createLogger({ silent: resolved.silent })
  const plan = planPlaywright({ version: config.version, workers: config.workers, shard: config.shard })
  const provisioned = await provision({
    config: resolved, plan, log, framework: `playwright ${config.version}`, workerIdVar: PLAYWRIGHT_SLOT_ENV, dropInBackground: true,
  })
  // Every worker maps itself to its clone as it starts, whatever its test files import (worker/preload.ts).
  const nodeOptions = process.env.NODE_OPTIONS
  process.env.NODE_OPTIONS = withPreload(nodeOptions, PRELOAD)
  log.info(`playwright ${config.version}: ${plan.count} ${plan.count === 1 ? 'clone' : 'clones'} for up to ${plan.count} ${plan.count === 1 ? 'worker' : 'workers'}; ready in ${Math.round(performance.now() - started)} ms`)
  return async () => {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = nodeOptions
    await provisioned.teardown()
  }
}
