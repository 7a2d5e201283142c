/** Jest scenarios: the fixtures (one per major), and writing a scenario's project into one of them. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { serverUrl } from '../../../test-support/pg.js'
import {
  E2E_PREFIX_START, fileName, FIXTURES_DIR, fixturePackageVersion, randomPrefix, removeScenario, sweepStaleIn, writeExtraFiles, writeScenarioBase,
} from '../scenario.js'

export type JestMajor = 29 | 30

/** Every Jest major with a fixture under e2e/fixtures/jest<N>. */
export const JEST_MAJORS: JestMajor[] = [29, 30]

const fixtureDir = (major: JestMajor) => join(FIXTURES_DIR, `jest${major}`)
export const jestRunsDir = (major: JestMajor): string => join(fixtureDir(major), '.runs')
export const jestBin = (major: JestMajor): string => join(fixtureDir(major), 'node_modules', 'jest', 'bin', 'jest.js')

export function jestFixtureVersion(major: JestMajor): string {
  return fixturePackageVersion(`jest${major}`, 'jest')
}

export const JEST_VERSIONS = Object.fromEntries(JEST_MAJORS.map((m) => [m, jestFixtureVersion(m)])) as Record<JestMajor, string>

/** Every Jest e2e prefix starts with this, so stale ones can be found (and only those). */
export const JEST_PREFIX_START = `${E2E_PREFIX_START}j`

/** `e2j` + a tag of 1–3 chars + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function uniquePrefix(tag: string): string {
  if (!/^[a-z0-9]{1,3}$/.test(tag)) throw new Error(`bad prefix tag ${tag}`)
  return randomPrefix(JEST_PREFIX_START, tag)
}

/** Scenario dirs and Jest e2e databases older than an hour: left by an e2e run that was killed. */
export async function sweepStale(url = serverUrl()): Promise<void> {
  await sweepStaleIn(JEST_MAJORS.map(jestRunsDir), url)
}

const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url))
let probeJs: string | undefined

/** The probe's source: as written for TypeScript scenarios, its types stripped (CommonJS) for the others. */
function probeSource(ext: 'js' | 'ts'): string {
  const source = readFileSync(PROBE, 'utf8')
  if (ext === 'ts') return source
  probeJs ??= ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText
  return probeJs
}

export interface JestProjectOptions {
  jest: JestMajor
  /** Number of generated test files. */
  files: number
  /** 1–3 lowercase letters/digits, part of the prefix (which starts `e2j`). */
  tag: string
  /** jest.config.js as JSON, merged over the defaults (preset, testMatch, no transform, own cacheDirectory). */
  config?: Record<string, unknown>
  /** The whole jest.config.js source instead (for configs that need code, e.g. require.resolve). */
  configSource?: string
  /** Directories (relative) the files are spread over, round robin; default ['test']. */
  dirs?: string[]
  /** 'ts' writes TypeScript test files (a transform must be configured). */
  ext?: 'js' | 'ts'
  /** How long each test file holds the advisory lock. Default 100 ms. */
  holdMs?: number
  /** Extra files to write, relative to the scenario dir. */
  extraFiles?: Record<string, string>
}

export interface JestProject {
  dir: string
  jest: JestMajor
  prefix: string
  files: string[]
  resultsFile: string
  reportFile: string
  cacheDir: string
  /** Forgets the timing cache, so the next run cannot be flipped to in band by it. */
  forgetTimings(): void
  remove(): void
}

export function makeProject(opts: JestProjectOptions): JestProject {
  const prefix = uniquePrefix(opts.tag)
  const dir = join(jestRunsDir(opts.jest), `${prefix}-${Date.now().toString(36)}`)
  const cacheDir = join(dir, '.jest-cache')
  writeScenarioBase(dir, { prefix, configFile: 'workerdb.config.json', holdMs: opts.holdMs ?? 100 })
  const ext = opts.ext ?? 'js'
  const config = {
    preset: '@workerdb/jest',
    testMatch: [`**/*.test.${ext}`],
    // No transform: babel-jest in every worker would dominate a run of tiny files.
    transform: {},
    cacheDirectory: cacheDir,
    ...opts.config,
  }
  writeFileSync(join(dir, 'jest.config.js'), opts.configSource ?? `module.exports = ${JSON.stringify(config, null, 2)}\n`)
  const dirs = opts.dirs ?? ['test']
  const files: string[] = []
  const probe = probeSource(ext)
  for (let i = 1; i <= opts.files; i++) {
    const name = fileName(i)
    files.push(name)
    const sub = join(dir, dirs[(i - 1) % dirs.length]!)
    mkdirSync(sub, { recursive: true })
    writeFileSync(join(sub, `${name}.test.${ext}`), probe)
  }
  writeExtraFiles(dir, opts.extraFiles)
  return {
    dir, jest: opts.jest, prefix, files, cacheDir,
    resultsFile: join(dir, 'results.jsonl'),
    reportFile: join(dir, 'report.json'),
    forgetTimings() {
      if (!existsSync(cacheDir)) return
      for (const f of readdirSync(cacheDir)) if (f.startsWith('perf-cache-')) rmSync(join(cacheDir, f), { force: true })
    },
    remove: () => removeScenario(dir),
  }
}
