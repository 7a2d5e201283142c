import { defineConfig } from 'tsup'
import { plainCommonJsConfig } from '../../scripts/tsup-plain-cjs.mjs'

// CommonJS, as @playwright/test itself: Playwright requires globalSetup by path, and test files load this
// through its own transform either way.
export default defineConfig(plainCommonJsConfig({
  entry: {
    // The config's side: withWorkerDb(config), and the globalSetup it adds (Playwright's main process).
    index: 'src/index.ts',
    'global-setup': 'src/runner/global-setup.ts',
    // The test files' side, loaded in every worker: the fixtures, and the mapping to the worker's clone.
    test: 'src/worker/test.ts',
    // Preloaded into every worker (NODE_OPTIONS): maps it to its clone before anything else loads.
    preload: 'src/worker/preload.ts',
  },
  external: ['@workerdb/core', '@workerdb/core/runner', '@workerdb/core/worker', '@playwright/test'],
}))
