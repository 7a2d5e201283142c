/**
 * The CommonJS framework packages' tsup config (Jest and Playwright require their entries by path), and
 * what it fixes after the build: cjsInterop leaves a default-only entry with
 * `__esModule` + `exports.default = fn` ahead of its `module.exports = exports.default` — harmless at run
 * time (that exports object is replaced), but the pattern that breaks default imports in some bundlers, so
 * publint rejects it. This reduces each such entry to the plain `module.exports = fn` it means.
 */
import { readFileSync, writeFileSync } from 'node:fs'

const INTEROP_TAIL = /\nexports\.default = ([\w$]+);\s*module\.exports = exports\.default;\s*$/
const ES_MODULE_MARK = /^"use strict";\s*Object\.defineProperty\(exports, "__esModule", \{\s*value: true\s*\}\);/

/** `entries`: the tsup entry names (dist/<name>.js). */
export function plainCommonJsDefaults(entries) {
  for (const name of entries) {
    const file = `dist/${name}.js`
    const code = readFileSync(file, 'utf8')
    const tail = INTEROP_TAIL.exec(code)
    if (!tail) continue
    if (!ES_MODULE_MARK.test(code)) throw new Error(`${file}: not the expected cjsInterop output`)
    writeFileSync(file, `${code.slice(0, tail.index).replace(ES_MODULE_MARK, '"use strict";')}\nmodule.exports = ${tail[1]};\n`)
  }
}

/**
 * The whole tsup config of a CommonJS framework package. `module.exports = fn` for the default-only entries
 * (cjsInterop), so `require('@workerdb/jest/global-setup')` is the function itself and a sequencer class is
 * extendable; cjsInterop applies only to split output, and shared code in chunks is fine (run state is
 * process-global). `external`: what the package never bundles.
 */
export function plainCommonJsConfig({ entry, external }) {
  return {
    entry,
    format: ['cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    cjsInterop: true,
    splitting: true,
    external,
    async onSuccess() {
      plainCommonJsDefaults(Object.keys(entry))
    },
  }
}
