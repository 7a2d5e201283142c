/**
 * The worker side is what every test file's process loads: it must stay apart from the runner side (no
 * server, engine, cleanup, config loading, migration tools or CLI), so that a test file pays only for
 * reading the manifest and exporting its clone. Read from the sources' own import statements.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

/**
 * What the worker side may load: its own folder, the run file, isolation and small shared utilities, and of
 * each kind its URLs and its part of the reset, with the connection code that needs (drivers load only when used).
 */
const ALLOWED = [/^worker\.ts$/, /^worker\//, /^runfile\//, /^isolation\/(reset-run|truncate|transaction)\.ts$/, /^(errors|log|env|url|require-pg)\.ts$/, /^catalog\/(names|socket)\.ts$/, /^catalog\/\w+\/(url|reset)\.ts$/, /^catalog\/mysql\/session\.ts$/, /^catalog\/sqlite\/driver\.ts$/]

/** The modules a module loads at run time: static imports and re-exports, not `import type`/`export type`. */
export function runtimeImports(source: string): string[] {
  const specs: string[] = []
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'([^']+)'|^\s*import\s+'([^']+)'/gm
  for (const m of source.matchAll(statement)) {
    if (m[5]) specs.push(m[5])
    else if (!m[2] && !/^\{\s*(type\s+[\w$]+\s*,?\s*)+\}$/.test(m[3]!)) specs.push(m[4]!)
  }
  return specs
}

function graph(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
    }
  }
  visit(join(SRC, entry))
  return [...seen].map((f) => relative(SRC, f)).sort()
}

describe('the worker side', () => {
  it('reads import statements as the runtime does: type-only imports load nothing', () => {
    expect(runtimeImports([
      "import { a } from './a.js'",
      "import type { B } from './b.js'",
      "import { type C, type D } from './c.js'",
      "import { type E, f } from './e.js'",
      "export { g } from './g.js'",
      "export type { H } from './h.js'",
      "import './side-effect.js'",
      "import { readdirSync, readFileSync } from 'node:fs'",
    ].join('\n'))).toEqual(['./a.js', './e.js', './g.js', './side-effect.js', 'node:fs'])
  })

  it('loads nothing of the runner side', () => {
    const loaded = graph('worker.ts')
    expect(loaded).toContain('worker/setup.ts')
    expect(loaded.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([])
  })

  it("the framework packages' setup files load core's worker entry only", () => {
    for (const pkg of ['vitest', 'jest']) {
      const dir = resolve(SRC, `../../${pkg}/src/worker`)
      for (const name of readdirSync(dir)) {
        const specs = runtimeImports(readFileSync(join(dir, name), 'utf8'))
        expect(specs.filter((s) => s.startsWith('@workerdb/')), `${pkg}/src/worker/${name}`).toEqual(specs.filter((s) => s === '@workerdb/core/worker'))
        expect(specs.filter((s) => s.startsWith('.') && !s.startsWith('./')), `${pkg}/src/worker/${name}`).toEqual([])
      }
    }
  })
})
