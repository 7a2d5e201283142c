/** Vitest scenarios: the fixtures (one per major), and writing a scenario's project into one of them. */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serverUrl } from '../../../test-support/pg.js'
import {
  copyProbe, E2E_PREFIX_START, fileName, FIXTURES_DIR, fixturePackageVersion, node22Path, randomPrefix, removeScenario, sweepStaleIn,
  writeExtraFiles, writeScenarioBase,
} from '../scenario.js'

export type Major = 3 | 4 | 5

/** Every Vitest major with a fixture under e2e/fixtures/vitest<N>. */
export const MAJORS: Major[] = [3, 4, 5]

export function fixtureVersion(major: Major): string {
  return fixturePackageVersion(`vitest${major}`, 'vitest')
}

export const VITEST_VERSIONS = Object.fromEntries(MAJORS.map((m) => [m, fixtureVersion(m)])) as Record<Major, string>

/** Vitest 5 needs Node ^22.12 (its `engines`); 3 and 4 run on this process's Node. */
export function nodeFor(major: Major): string {
  return major >= 5 ? node22Path() : process.execPath
}

export function vitestBin(major: Major): string {
  return join(FIXTURES_DIR, `vitest${major}`, 'node_modules', 'vitest', 'vitest.mjs')
}

export const runsDir = (major: Major): string => join(FIXTURES_DIR, `vitest${major}`, '.runs')

/** `e2` + a tag of 1–4 chars + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function uniquePrefix(tag: string): string {
  if (!/^[a-z0-9]{1,4}$/.test(tag)) throw new Error(`bad prefix tag ${tag}`)
  return randomPrefix(E2E_PREFIX_START, tag)
}

const PROBE = fileURLToPath(new URL('./probe.mjs', import.meta.url))

export interface ProjectOptions {
  vitest: Major
  /** Number of generated test files. */
  files: number
  /** workerdb prefix (1–12 lowercase letters/digits); default: a fresh random one. */
  prefix?: string
  /** Vitest `test` options (JSON), merged over `{ include: ['test/**\/*.test.mjs'] }`. */
  config?: Record<string, unknown>
  /** Extra inline workerDb() options (JSON). */
  workerDb?: Record<string, unknown>
  /** Source of extra plugin expressions, appended after workerDb(...) in `plugins`. */
  plugins?: string[]
  /** How long each test file holds the advisory lock. Default 100 ms. */
  holdMs?: number
  /** Extra files to write, relative to the scenario dir. */
  extraFiles?: Record<string, string>
}

export interface Project {
  dir: string
  vitest: Major
  prefix: string
  files: string[]
  resultsFile: string
  reportFile: string
  /** Writes one more test file (`<sub>/<name>.test.mjs`), adds it to `files`, returns its path. */
  addFile(name: string, sub?: string): string
  /** Removes the scenario dir (not the databases). */
  remove(): void
}

export function makeProject(opts: ProjectOptions): Project {
  const prefix = opts.prefix ?? uniquePrefix('e')
  const dir = join(runsDir(opts.vitest), `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`)
  writeScenarioBase(dir, { prefix, configFile: 'workerdb.config.mjs', holdMs: opts.holdMs ?? 100 })
  const test = { include: ['test/**/*.test.mjs'], ...opts.config }
  const plugins = [`workerDb(${JSON.stringify(opts.workerDb ?? {})})`, ...(opts.plugins ?? [])]
  writeConfig(dir, plugins, test)
  mkdirSync(join(dir, 'test'), { recursive: true })
  const files: string[] = []
  const addFile = (name: string, sub = 'test') => {
    files.push(name)
    return copyProbe(PROBE, join(dir, sub), name, 'mjs')
  }
  for (let i = 1; i <= opts.files; i++) addFile(fileName(i))
  writeExtraFiles(dir, opts.extraFiles)
  return {
    dir, vitest: opts.vitest, prefix, files, resultsFile: join(dir, 'results.jsonl'), reportFile: join(dir, 'report.json'), addFile,
    remove: () => removeScenario(dir),
  }
}

function writeConfig(dir: string, plugins: string[], test: Record<string, unknown>): void {
  const source = `import { workerDb } from '@workerdb/vitest'

export default {
  plugins: [${plugins.join(', ')}],
  test: ${JSON.stringify(test, null, 2).replace(/\n/g, '\n  ')},
}
`
  writeFileSync(join(dir, 'vitest.config.mjs'), source)
}

/** Scenario dirs and e2e databases older than an hour: left by an e2e run that was killed. */
export async function sweepStale(url = serverUrl()): Promise<void> {
  await sweepStaleIn(MAJORS.map(runsDir), url)
}
