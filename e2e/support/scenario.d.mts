/** Types of scenario.mjs (plain JavaScript, so that scripts/stress.mjs can use it without a build). */

export type Major = 3 | 4 | 5

export declare const E2E_DIR: string
export declare const FIXTURES_DIR: string
export declare const MAJORS: Major[]
export declare const VITEST_VERSIONS: Record<Major, string>
export declare const MIGRATION_SQL: string
export declare const E2E_PREFIX_START: string

export declare function fixtureVersion(major: Major): string
export declare function serverUrl(): string
export declare function node22Path(): string
export declare function nodeFor(major: Major): string
export declare function vitestBin(major: Major): string
export declare function runsDir(major: Major): string
export declare function uniquePrefix(tag: string): string

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
  /** How long each test file holds the advisory lock. Default 150 ms. */
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
  /** Writes one more generated test file (`<sub>/<name>.test.mjs`), adds it to `files`, returns its path. */
  addFile(name: string, sub?: string): string
  /** Removes the scenario dir (not the databases). */
  remove(): void
}

export declare function makeProject(o: ProjectOptions): Project
export declare function testFileSource(name: string, prefix: string, holdMs: number): string

/** What a scenario's test file logs, under either framework (E2E_RESULTS, one JSON object a line). */
export interface BaseResultLine {
  file: string
  pid: number
  event: 'loaded' | 'connected' | 'done'
  workerId?: string
  database?: string
  start?: number
  end?: number
  locked?: boolean
  wdbDatabase?: string
  wdbWorkerId?: number
  runId?: string
  assigned?: string | null
  clones?: number
  plan?: { count: number; reason: string }
  template?: { name: string; hash: string; reused: boolean }
  seed?: { built_at: string; txid: string }
  /** The manifest file the run wrote (WORKERDB_MANIFEST); gone once the run ends. */
  manifest?: string
}

export interface ResultLine extends BaseResultLine {
  poolId?: string
  /** The server's data_directory, as the test saw it. */
  dataDir?: string
  /** E2E_PROJECT_NAME from the project's `test.env`, when a scenario sets it. */
  project?: string | null
  /** inject('workerdb') in the test: run id, planned count, and the database it lists for this slot. */
  provided?: { runId?: string; count?: number; database?: string | null; error?: string } | null
}

export interface JsonReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  numTotalTestSuites: number
  numFailedTestSuites: number
  success: boolean
  testResults: Array<{ name: string; status: string; message: string }>
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
  /** stdout + stderr, for matching messages wherever vitest printed them. */
  output: string
  report: JsonReport | undefined
  lines: ResultLine[]
  done: ResultLine[]
  ms: number
  /** Processes of the run's process group still alive when vitest itself had exited ("pid command"). */
  leftovers: string[]
  /** From workerdb's summary line `plan: N clones (reason)` (the last one). */
  planned: { count: number; reason: string } | undefined
}

export interface RunOptions {
  args?: string[]
  /** Extra env; `undefined` values delete. By default WORKERDB_URL is the test server. */
  env?: Record<string, string | undefined>
  /** Run without WORKERDB_URL (zero-config: workerdb starts its embedded server). */
  embedded?: boolean
  timeoutMs?: number
  /** Separate results/report files (`results-<tag>.jsonl`), for runs of one project at the same time. */
  tag?: string
}

export declare function childEnv(extra: RunOptions['env'], resultsFile: string, embedded: boolean): NodeJS.ProcessEnv
export declare function runVitest(project: Project, o?: RunOptions): Promise<RunResult>
export declare function plannedFrom(text: string): { count: number; reason: string } | undefined
export declare function readLines(file: string): ResultLine[]
export declare function describeRun(r: RunResult): string

export declare function killGroup(pid: number): void
/** Pairs of files that held one database at the same time. */
export declare function overlaps(done: BaseResultLine[]): string[]
/** Runs a command in its own process group until it exits or `timeoutMs` passes; the group is killed on return. */
export declare function runGroup(command: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{
  pid: number; code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stdout: string; stderr: string; leftovers: string[]; ms: number
}>
export declare function killAll(): void
export declare function track(pid: number, kill?: () => void): void
export declare function killTree(pid: number): void
export declare function groupMembers(pgid: number): string[]
/** Waits for the droppers a run's output names ("dropping N clones in the background (pid P)"); kills and returns those still running at the deadline. */
export declare function awaitDroppers(output: string, timeoutMs?: number): Promise<string[]>
export declare function awaitDropperPids(pids: number[], timeoutMs?: number): Promise<string[]>
export declare function sessionMembers(sid: number): string[]

export interface WatchHandle {
  pid: number
  /** Everything printed so far, ANSI escapes and CRs stripped. */
  output(): string
  lines(): ResultLine[]
  done(): ResultLine[]
  /** How many times vitest printed "Waiting for file changes" (= finished runs). */
  waits(): number
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined
  /** Vitest has finished every run it started. */
  idle(): boolean
  waitFor(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>
  waitForRun(n: number, timeoutMs?: number): Promise<void>
  send(keys: string): void
  /** Presses `q`; resolves with the exit, or undefined when vitest did not exit in time. */
  quit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined>
  leftovers(): string[]
  stop(): void
}

export declare function startWatch(project: Project, o?: { args?: string[]; env?: Record<string, string | undefined> }): WatchHandle

export declare function doneProblems(done: ResultLine[], o: { prefix: string; files: string[]; planned: number }): string[]
export declare function isolationProblems(project: Project, r: RunResult, o?: { files?: string[] }): string[]

export declare function adminQuery<T = Record<string, unknown>>(sql: string, params?: unknown[], url?: string): Promise<T[]>
export declare function databasesWithPrefix(prefix: string, url?: string): Promise<string[]>
export declare function leftoverClones(prefix: string, url?: string): Promise<string[]>
/** Roles named `prefix_…`, sorted. */
export declare function rolesWithPrefix(prefix: string, url?: string): Promise<string[]>
/** Drops every database of the prefix, then every role of it. */
export declare function dropPrefix(prefix: string, url?: string): Promise<void>
export declare function dropRole(name: string, url?: string): Promise<void>
export declare function dropDatabase(name: string, url?: string): Promise<void>
export declare function sweepStale(url?: string): Promise<void>
export declare function sweepStaleIn(runFolders: string[], url?: string): Promise<void>
export declare function sweepStaleDatabases(url?: string): Promise<void>
export declare function portRefuses(port: number, host?: string): Promise<boolean>
