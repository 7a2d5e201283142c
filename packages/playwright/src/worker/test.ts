/**
 * What test files import instead of '@playwright/test': the same `test` and `expect`, with this worker's
 * clone. Importing this module maps the worker to its clone (parallelIndex + 1, never workerIndex) and
 * exports it into process.env — before the modules the test file imports after it, so an app that reads
 * DATABASE_URL at import time gets this worker's database — or throws E_NO_CLONE naming the plan.
 *
 * A worker that replaces a failed one inherits its parallelIndex, so the same clone, with whatever rows
 * the failed test left: with `reset: 'truncate'`, every worker empties its clone before its first test,
 * the replacement included; with `per: 'test'`, before every test too.
 */
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import type * as PlaywrightTest from '@playwright/test'
import {
  getWorkerDatabase, readManifest, registerTestReset, resetWorkerDatabase, setupWorker, type WorkerDatabase as CoreWorkerDatabase,
} from '@workerdb/core/worker'
import { mapPlaywrightWorker } from '../slot.js'

/** This worker's clone: its url and parts, as `getWorkerDatabase()` returns them. */
export type WorkerDatabase = CoreWorkerDatabase

/**
 * The Playwright that runs this process: resolved from its own entry script (the worker's, or the CLI's),
 * not from this package, which a workspace or a nested install may give another copy — and two copies of
 * Playwright refuse to define tests ("did not expect test() to be called here").
 */
function runningPlaywright(): typeof PlaywrightTest {
  const entry = process.argv[1]
  if (entry) {
    try {
      // Its real path, as Node loaded it: through a symlink (pnpm), the resolution would start elsewhere.
      return createRequire(realpathSync(entry))('playwright/test') as typeof PlaywrightTest
    } catch {
      // not started by Playwright's own scripts (a config loader, a tool): the nearest copy, below
    }
  }
  return createRequire(__filename)('@playwright/test') as typeof PlaywrightTest
}

const playwright = runningPlaywright()
const base = playwright.test

// Done already by the preload (globalSetup puts it in NODE_OPTIONS); again here, idempotent, for a worker
// started without it (NODE_OPTIONS replaced by the project). Throws E_NO_CLONE / E_NO_MANIFEST saying why.
const inWorker = mapPlaywrightWorker(process.env)

/** What the worker's setup fixture keeps: the reset per test, when the config asks for one (run before each test, closed with the worker). */
interface WorkerDatabaseSetup {
  beforeEach?: () => Promise<void>
  close?: () => Promise<void>
}

export const test = base.extend<{ workerDatabaseReset: void }, { workerDatabase: WorkerDatabase; workerDatabaseSetup: WorkerDatabaseSetup }>({
  workerDatabaseSetup: [async ({}, use) => {
    // Not in a Playwright worker (TEST_PARALLEL_INDEX unset): readManifest and setupWorker say what is wrong.
    const manifest = readManifest(process.env)
    if (!inWorker) setupWorker(process.env, manifest)
    await resetWorkerDatabase(process.env, manifest)
    const setup: WorkerDatabaseSetup = {}
    registerTestReset({ beforeEach: (fn) => { setup.beforeEach = fn }, afterAll: (fn) => { setup.close = fn } })
    try {
      await use(setup)
    } finally {
      await setup.close?.()
    }
  }, { scope: 'worker', auto: true }],
  workerDatabase: [async ({ workerDatabaseSetup }, use) => {
    void workerDatabaseSetup
    await use(getWorkerDatabase(process.env))
  }, { scope: 'worker' }],
  workerDatabaseReset: [async ({ workerDatabaseSetup }, use) => {
    await workerDatabaseSetup.beforeEach?.()
    await use()
  }, { auto: true }],
})

export const expect = playwright.expect
export { getWorkerDatabase }
