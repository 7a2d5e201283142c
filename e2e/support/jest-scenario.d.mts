/** Types of jest-scenario.mjs (plain JavaScript, so that scripts/stress.mjs can use it without a build). */

export {
  adminQuery, awaitDroppers, awaitDropperPids, databasesWithPrefix, dropDatabase, dropPrefix, E2E_DIR, FIXTURES_DIR, groupMembers, killAll, killGroup,
  leftoverClones, MIGRATION_SQL, overlaps, rolesWithPrefix, serverUrl,
} from './scenario.mjs'

import type { BaseResultLine } from './scenario.mjs'

export type JestMajor = 29 | 30

export declare const JEST_MAJORS: JestMajor[]
export declare const JEST_VERSIONS: Record<JestMajor, string>
export declare const JEST_PREFIX_START: string

export declare function jestFixtureVersion(major: JestMajor): string
export declare function jestRunsDir(major: JestMajor): string
/** `e2j` + a tag of 1–3 chars + 6 random chars. */
export declare function uniquePrefix(tag: string): string
export declare function sweepStale(url?: string): Promise<void>

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
  /** How long each test file holds the advisory lock. Default 150 ms. */
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

export declare function makeProject(o: JestProjectOptions): JestProject
export declare function testFileSource(name: string, prefix: string, holdMs: number, ext?: 'js' | 'ts'): string

export interface ResultLine extends BaseResultLine {
  ppid?: number
  /** Processes sharing the file's parent: Jest's worker processes, when not in band. */
  siblings?: number
  /** Set by the harness: the file ran in Jest's main process. */
  inBand?: boolean
}

export interface JestJsonReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  numTotalTestSuites: number
  numFailedTestSuites: number
  numRuntimeErrorTestSuites: number
  success: boolean
  testResults: Array<{ name: string; status: string; message: string }>
}

export interface JestRunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  output: string
  report: JestJsonReport | undefined
  lines: ResultLine[]
  done: ResultLine[]
  ms: number
  /** Processes of the run's process group still alive when jest itself had exited ("pid command"). */
  leftovers: string[]
  /** From workerdb's line `plan: N clones (reason)`. */
  planned: { count: number; reason: string } | undefined
  /** From the reporter's line: whether Jest ran the files in band, and the worker count it named. */
  ran: { inBand: boolean; workers: number } | undefined
  runId: string | undefined
}

export interface JestRunOptions {
  args?: string[]
  /** Extra env; `undefined` values delete. By default WORKERDB_URL is the test server. */
  env?: Record<string, string | undefined>
  timeoutMs?: number
  /** Names this run's results and report files apart (for runs of one scenario at the same time). */
  tag?: string
}

export declare function childEnv(extra: JestRunOptions['env'], resultsFile: string): NodeJS.ProcessEnv
export declare function runJest(project: JestProject, o?: JestRunOptions): Promise<JestRunResult>
export declare function describeRun(r: JestRunResult): string

export declare function isolationProblems(project: JestProject, r: JestRunResult, expectFiles?: string[]): string[]

export interface JestWatch {
  pid: number
  /** stdout + stderr so far. */
  output(): string
  /** The generated files' result lines so far (all runs of the session). */
  lines(): ResultLine[]
  /** Resolves once `check` holds, polling; rejects with the output after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs?: number): Promise<void>
}

export declare function startJestWatch(project: JestProject, args?: string[]): JestWatch
