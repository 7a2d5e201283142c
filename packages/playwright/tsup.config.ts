import { readFileSync, writeFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const INTEROP_TAIL = /\nexports\.default = ([\w$]+);\s*module\.exports = exports\.default;\s*$/
const ES_MODULE_MARK = /^"use strict";\s*Object\.defineProperty\(exports, "__esModule", \{\s*value: true\s*\}\);/

const ENTRY = {
  // The config's side: withWorkerDb(config), and the globalSetup it adds (Playwright's main process).
  index: 'src/index.ts',
  'global-setup': 'src/runner/global-setup.ts',
  // The test files' side, loaded in every worker: the fixtures, and the mapping to the worker's clone.
  test: 'src/worker/test.ts',
}

export default defineConfig({
  // CommonJS, as @playwright/test itself: Playwright requires globalSetup by path, and test files load
  // this through its own transform either way.
  entry: ENTRY,
  format: ['cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  cjsInterop: true,
  splitting: true,
  external: ['@workerdb/core', '@workerdb/core/runner', '@workerdb/core/worker', '@playwright/test'],
  // As in @workerdb/jest: a default-only entry becomes the plain `module.exports = fn` it means.
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
