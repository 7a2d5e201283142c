import { readFileSync, writeFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const INTEROP_TAIL = /\nexports\.default = ([\w$]+);\s*module\.exports = exports\.default;\s*$/
const ES_MODULE_MARK = /^"use strict";\s*Object\.defineProperty\(exports, "__esModule", \{\s*value: true\s*\}\);/

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
  // For a default-only entry, cjsInterop leaves `__esModule` + `exports.default = fn` ahead of its
  // `module.exports = exports.default`: harmless at run time (that exports object is replaced), but the
  // pattern that breaks default imports in some bundlers, so publint rejects it. Reduce each such entry to
  // the plain `module.exports = fn` it means.
  async onSuccess() {
    for (const name of Object.keys(ENTRY)) {
      const file = `dist/${name}.js`
      const code = readFileSync(file, 'utf8')
      const tail = INTEROP_TAIL.exec(code)
      if (!tail) continue
      if (!ES_MODULE_MARK.test(code)) throw new Error(`${file}: not the expected cjsInterop output`)
      writeFileSync(file, `${code.slice(0, tail.index).replace(ES_MODULE_MARK, '"use strict";')}\nmodule.exports = ${tail[1]};\n`)
    }
  },
})
