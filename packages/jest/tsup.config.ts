import { defineConfig } from 'tsup'
import { plainCommonJsDefaults } from '../../scripts/tsup-plain-cjs.mjs'

const ENTRY = {
  index: 'src/index.ts',
  'global-setup': 'src/runner/global-setup.ts',
  'global-teardown': 'src/runner/global-teardown.ts',
  sequencer: 'src/runner/sequencer.ts',
  reporter: 'src/runner/reporter.ts',
  setup: 'src/worker/setup.ts',
  'setup-after-env': 'src/worker/setup-after-env.ts',
}

export default defineConfig({
  // Runner side (Jest's main process: globalSetup/Teardown, sequencer, reporter), the public entry, and the
  // worker side (the setup file, tiny: no driver, no framework). CommonJS throughout: Jest requires these
  // by path, and setup files cannot be ESM without --experimental-vm-modules.
  entry: ENTRY,
  format: ['cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  // `module.exports = fn` for the default-only entries, so `require('@workerdb/jest/global-setup')` is the
  // function itself (easy to call from a user's own globalSetup) and the sequencer class is extendable.
  cjsInterop: true,
  // cjsInterop only applies to split output; shared code lands in chunks, which is fine: run state is process-global.
  splitting: true,
  // @jest/globals: answered by the Jest runtime in the test's module registry, never resolved from here.
  external: ['@workerdb/core', '@workerdb/core/worker', '@jest/globals'],
  // Default-only entries as the plain `module.exports = fn` they mean (scripts/tsup-plain-cjs.mjs says why).
  async onSuccess() {
    plainCommonJsDefaults(Object.keys(ENTRY))
  },
})
