import { defineConfig } from 'tsup'
import { plainCommonJsConfig } from '../../scripts/tsup-plain-cjs.mjs'

// Runner side (Jest's main process: globalSetup/Teardown, sequencer, reporter), the public entry, and the
// worker side (the setup file, tiny: no driver, no framework). CommonJS throughout: Jest requires these by
// path, and setup files cannot be ESM without --experimental-vm-modules.
export default defineConfig(plainCommonJsConfig({
  entry: {
    index: 'src/index.ts',
    'global-setup': 'src/runner/global-setup.ts',
    'global-teardown': 'src/runner/global-teardown.ts',
    sequencer: 'src/runner/sequencer.ts',
    reporter: 'src/runner/reporter.ts',
    setup: 'src/worker/setup.ts',
    'setup-after-env': 'src/worker/setup-after-env.ts',
  },
  // @jest/globals: answered by the Jest runtime in the test's module registry, never resolved from here.
  external: ['@workerdb/core', '@workerdb/core/worker', '@jest/globals'],
}))
