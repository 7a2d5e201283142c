/**
 * Preloaded into every Node process the run starts after workerdb's globalSetup (`--require` in
 * NODE_OPTIONS): maps a Playwright worker to its clone before any test module loads, whatever the test
 * file imports — a spec that imports '@playwright/test' directly gets its worker's database too, never a
 * shared one from the environment. Tiny on purpose: it runs in every one of those processes.
 *
 * - A Playwright worker learns its parallelIndex only from the runner's first IPC message (`__init__`,
 *   whose runnerParams Playwright turns into TEST_PARALLEL_INDEX): this listener, registered before
 *   Playwright's own, maps the worker as that message arrives. Only in Playwright's worker entry script,
 *   where Playwright's listener holds the IPC channel open anyway.
 * - A process a test starts (an app server, a script) inherits TEST_PARALLEL_INDEX: mapped at once.
 * - Anywhere else: nothing.
 */
import { MANIFEST_ENV } from '@workerdb/core/worker'
import { mapPlaywrightWorker } from '../slot.js'

const WORKER_ENTRY = /[\\/]playwright[\\/]lib[\\/]worker[\\/]workerProcessEntry\.js$/

interface InitMessage {
  method?: string
  params?: { runnerParams?: { parallelIndex?: unknown } }
}

if (process.env[MANIFEST_ENV]) {
  if (process.env.TEST_PARALLEL_INDEX !== undefined) {
    mapPlaywrightWorker(process.env)
  } else if (process.send && WORKER_ENTRY.test(process.argv[1] ?? '')) {
    const onInit = (message: InitMessage) => {
      if (message?.method !== '__init__') return
      process.off('message', onInit)
      const index = message.params?.runnerParams?.parallelIndex
      if (typeof index === 'number') mapPlaywrightWorker({ ...process.env, TEST_PARALLEL_INDEX: String(index) }, process.env)
    }
    process.on('message', onInit)
  }
}
