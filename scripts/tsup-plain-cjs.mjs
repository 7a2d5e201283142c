/**
 * For the CommonJS framework packages' tsup configs: cjsInterop leaves a default-only entry with
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
