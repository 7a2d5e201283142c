/**
 * Jest e2e harness: writes a small user project (a "scenario") inside a Jest fixture package, runs that
 * fixture's REAL jest binary in a child process group, and reads back what every test file saw.
 *
 * A scenario lives in `e2e/fixtures/jest<N>/.runs/<id>/`, so node resolution from its files finds that
 * fixture's `jest`, `pg` and `@workerdb/jest` (the built dist/ of packages/jest). Each has its own
 * workerdb.config.json with a prefix no other scenario uses, and its own Jest cacheDirectory.
 *
 * Each generated test file:
 *   - appends a `loaded` line when its module is imported (workerdb's setup file runs before that, so a
 *     worker without a clone never gets here),
 *   - checks current_database() against the clone the manifest assigns to JEST_WORKER_ID,
 *   - takes pg_try_advisory_lock(4242) (per database: a second file on the same database at the same time
 *     would get false), holds it, releases it,
 *   - appends a `done` line with everything it saw, including how many worker processes Jest had forked.
 *
 * Kept apart from the Vitest harness (harness.ts): another runner, other fixtures, another report format.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, expect, onTestFinished } from 'vitest'
import { recordMatrix } from './matrix.mjs'
import { adminQuery, databasesWithPrefix, dropDatabase, dropPrefix, E2E_PREFIX_START, leftoverClones, serverUrl, sweepStaleDatabases } from './scenario.mjs'

// The server helpers are the Vitest harness's, shared: one implementation of what touches the server.
export { adminQuery, databasesWithPrefix, dropDatabase, dropPrefix, leftoverClones, serverUrl }

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FIXTURES_DIR = join(E2E_DIR, 'fixtures')

export type JestMajor = 29 | 30
export const JEST_MAJORS: JestMajor[] = [29, 30]

const fixtureDir = (major: JestMajor) => join(FIXTURES_DIR, `jest${major}`)
const RUNS_DIR = (major: JestMajor) => join(fixtureDir(major), '.runs')

function fixtureJest(major: JestMajor): string {
  const file = join(fixtureDir(major), 'node_modules', 'jest', 'package.json')
  if (!existsSync(file)) throw new Error(`the e2e fixture e2e/fixtures/jest${major} is not installed: run \`pnpm install\` at the repo root`)
  return readJson(file).version
}

export const JEST_VERSIONS: Record<JestMajor, string> = { 29: fixtureJest(29), 30: fixtureJest(30) }


// ---------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------

export interface JestProjectOptions {
  jest: JestMajor
  /** Number of generated test files. */
  files: number
  /** 1–4 lowercase letters/digits, part of the prefix (which starts `e2j`). */
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

/** The migration every scenario runs: its side effect shows which template a clone came from. */
export const MIGRATION_SQL = `create table e2e_seed (id int primary key, built_at text not null, txid bigint not null);
insert into e2e_seed values (1, clock_timestamp()::text, txid_current());
`

/** Every Jest e2e prefix starts with this, so stale ones can be found (and only those). */
export const JEST_PREFIX_START = `${E2E_PREFIX_START}j`

/** `e2j` + a tag of 1–3 chars + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function uniquePrefix(tag: string): string {
  if (!/^[a-z0-9]{1,3}$/.test(tag)) throw new Error(`bad prefix tag ${tag}`)
  return `${JEST_PREFIX_START}${tag}${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`
}

/**
 * Registers the cleanup of one test file and returns its scenario factory: after each test the process
 * groups of its runs are killed and its scenario dirs removed (pass or fail); after the file, every
 * database of its prefixes (templates too) is dropped, and leftovers of Jest e2e runs that died are swept.
 */
export function useJestScenarios(): { project(o: JestProjectOptions): JestProject } {
  const prefixes = new Set<string>()
  const projects = new Set<JestProject>()
  afterEach(() => {
    killAll()
    for (const p of projects) p.remove()
    projects.clear()
  })
  afterAll(async () => {
    killAll()
    for (const p of prefixes) await dropPrefix(p)
    await sweepStale()
  })
  return {
    project(o) {
      const p = makeProject(o)
      prefixes.add(p.prefix)
      projects.add(p)
      return p
    },
  }
}

const STALE_MS = 60 * 60 * 1000

/** Scenario dirs and Jest e2e databases older than an hour: left by an e2e run that was killed. */
export async function sweepStale(url = serverUrl()): Promise<void> {
  for (const major of JEST_MAJORS) {
    const runs = RUNS_DIR(major)
    if (!existsSync(runs)) continue
    for (const name of readdirSync(runs)) {
      const dir = join(runs, name)
      try {
        if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true })
      } catch {
        // raced with another remover
      }
    }
  }
  await sweepStaleDatabases(url)
}

export function makeProject(o: JestProjectOptions): JestProject {
  const prefix = uniquePrefix(o.tag)
  const dir = join(RUNS_DIR(o.jest), `${prefix}-${Date.now().toString(36)}`)
  const cacheDir = join(dir, '.jest-cache')
  mkdirSync(join(dir, 'migrations'), { recursive: true })
  writeFileSync(join(dir, 'migrations', '0001_seed.sql'), MIGRATION_SQL)
  // The scenario's own config file: found first, so no workerdb.config.* higher up the tree leaks in.
  writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix, migrate: { sql: './migrations' } }, null, 2))
  const ext = o.ext ?? 'js'
  const config = {
    preset: '@workerdb/jest',
    testMatch: [`**/*.test.${ext}`],
    // No transform: babel-jest in every worker would dominate a run of tiny files.
    transform: {},
    cacheDirectory: cacheDir,
    ...o.config,
  }
  writeFileSync(join(dir, 'jest.config.js'), o.configSource ?? `module.exports = ${JSON.stringify(config, null, 2)}\n`)
  const dirs = o.dirs ?? ['test']
  const files: string[] = []
  for (let i = 1; i <= o.files; i++) {
    const name = `file${String(i).padStart(2, '0')}`
    files.push(name)
    const sub = join(dir, dirs[(i - 1) % dirs.length]!)
    mkdirSync(sub, { recursive: true })
    writeFileSync(join(sub, `${name}.test.${ext}`), testFileSource(name, prefix, o.holdMs ?? 150, ext))
  }
  for (const [rel, text] of Object.entries(o.extraFiles ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  return {
    dir, jest: o.jest, prefix, files, cacheDir,
    resultsFile: join(dir, 'results.jsonl'),
    reportFile: join(dir, 'report.json'),
    forgetTimings() {
      if (!existsSync(cacheDir)) return
      for (const f of readdirSync(cacheDir)) if (f.startsWith('perf-cache-')) rmSync(join(cacheDir, f), { force: true })
    },
    remove() {
      if (process.env.E2E_KEEP === '1') return
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    },
  }
}

function testFileSource(name: string, prefix: string, holdMs: number, ext: 'js' | 'ts'): string {
  const ts = ext === 'ts'
  const imports = ts
    ? `import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { getWorkerDatabase, type WorkerDatabase } from '@workerdb/jest'

interface Clone { slot: number; database: string }
`
    : `const { appendFileSync, readdirSync, readFileSync } = require('node:fs')
const pg = require('pg')
const { getWorkerDatabase } = require('@workerdb/jest')
`
  const t = (type: string) => (ts ? `: ${type}` : '')
  return `${imports}
const FILE = ${JSON.stringify(name)}
const PREFIX = ${JSON.stringify(prefix)}
const HOLD_MS = ${holdMs}
const log = (line${t('Record<string, unknown>')}) => appendFileSync(process.env.E2E_RESULTS${ts ? '!' : ''}, JSON.stringify({ file: FILE, pid: process.pid, ...line }) + '\\n')

/** Live processes that share this one's parent: the worker processes Jest forked (meaningless in band). */
function siblings()${t('number')} {
  let n = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\\d+$/.test(entry)) continue
    try {
      const stat = readFileSync('/proc/' + entry + '/stat', 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(ppid) === process.ppid && state !== 'Z') n++
    } catch {}
  }
  return n
}

log({ event: 'loaded', workerId: process.env.JEST_WORKER_ID })

test(FILE, async () => {
  const workerId = process.env.JEST_WORKER_ID
  const wdb${t('WorkerDatabase')} = getWorkerDatabase()
  const manifest = JSON.parse(readFileSync(process.env.WORKERDB_MANIFEST${ts ? '!' : ''}, 'utf8'))
  const assigned = manifest.clones.find((c${t('Clone')}) => c.slot === Number(workerId))
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    log({ event: 'connected', workerId })
    const start = Date.now()
    const { rows: [{ db }] } = await client.query('select current_database() as db')
    const { rows: [{ locked }] } = await client.query('select pg_try_advisory_lock(4242) as locked')
    await new Promise((r) => setTimeout(r, HOLD_MS))
    const { rows: [seed] } = await client.query('select built_at, txid::text from e2e_seed where id = 1')
    if (locked) await client.query('select pg_advisory_unlock(4242)')
    const end = Date.now()
    log({
      event: 'done', workerId, database: db, start, end, locked, ppid: process.ppid, siblings: siblings(),
      wdbDatabase: wdb.database, wdbWorkerId: wdb.workerId, runId: wdb.runId,
      assigned: assigned ? assigned.database : null, clones: manifest.clones.length, plan: manifest.plan,
      template: manifest.template, seed, manifest: process.env.WORKERDB_MANIFEST,
    })
    expect(db).toBe(assigned && assigned.database)
    expect(db).toBe(wdb.database)
    expect(db.startsWith(PREFIX + '_')).toBe(true)
    expect(db.endsWith('_' + workerId)).toBe(true)
    expect(locked).toBe(true)
  } finally {
    await client.end()
  }
})
`
}

// ---------------------------------------------------------------------------------------------------
// Running jest
// ---------------------------------------------------------------------------------------------------

export interface ResultLine {
  file: string
  pid: number
  event: 'loaded' | 'connected' | 'done'
  workerId?: string
  database?: string
  start?: number
  end?: number
  locked?: boolean
  ppid?: number
  /** Processes sharing the file's parent: Jest's worker processes, when not in band. */
  siblings?: number
  /** Set by the harness: the file ran in Jest's main process. */
  inBand?: boolean
  wdbDatabase?: string
  wdbWorkerId?: number
  runId?: string
  assigned?: string | null
  clones?: number
  plan?: { count: number; reason: string }
  template?: { name: string; hash: string; reused: boolean }
  seed?: { built_at: string; txid: string }
  manifest?: string
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

/** Process groups of runs still in flight: killed by killAll() (afterEach) whatever happened. */
const live = new Set<number>()

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
  live.delete(pid)
}

export function killAll(): void {
  for (const pid of [...live]) killGroup(pid)
}

// The runs are detached from this process's group, so Ctrl-C or a killed test worker would not reach them.
process.once('exit', killAll)

/** Live members of a process group, from /proc (zombies excluded). */
export function groupMembers(pgid: number): string[] {
  const out: string[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const [state, , pgrp] = stat.slice(close + 2).split(' ')
      if (Number(pgrp) !== pgid || state === 'Z') continue
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()
      out.push(`${entry} ${cmd}`)
    } catch {
      // exited while we looked
    }
  }
  return out
}

function childEnv(extra: JestRunOptions['env'], resultsFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  // This process is itself a vitest worker: none of its vitest/jest/workerdb/PG variables may leak into the run.
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|JEST_|WORKERDB_|PG)/.test(k) || ['TEST', 'NODE_ENV', 'DATABASE_URL', 'FORCE_COLOR'].includes(k)) continue
    env[k] = v
  }
  env.NO_COLOR = '1'
  env.E2E_RESULTS = resultsFile
  env.WORKERDB_URL = serverUrl()
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

export async function runJest(project: JestProject, o: JestRunOptions = {}): Promise<JestRunResult> {
  const bin = join(fixtureDir(project.jest), 'node_modules', 'jest', 'bin', 'jest.js')
  const named = (file: string) => (o.tag ? file.replace(/(\.\w+)$/, `-${o.tag}$1`) : file)
  const reportFile = named(project.reportFile)
  const resultsFile = named(project.resultsFile)
  rmSync(reportFile, { force: true })
  writeFileSync(resultsFile, '')
  const args = [bin, '--json', `--outputFile=${reportFile}`, ...(o.args ?? [])]
  const started = performance.now()
  const child = spawn(process.execPath, args, {
    cwd: project.dir,
    env: childEnv(o.env, resultsFile),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: the whole tree (workers included) can be killed at once
  })
  const pid = child.pid!
  live.add(pid)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  try {
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((res, rej) => {
      child.once('error', rej)
      child.once('exit', (code, signal) => res([code, signal]))
    })
    const timeoutMs = o.timeoutMs ?? 90_000
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs) })
    const first = await Promise.race([exited, timeout])
    clearTimeout(timer)
    if (first === 'timeout') {
      const members = groupMembers(pid)
      killGroup(pid)
      throw new Error(`jest ${project.jest} did not finish within ${timeoutMs} ms in ${project.dir}; processes: ${members.join('; ')}\n--- stderr\n${stderr.slice(-4000)}`)
    }
    const [code, signal] = first
    const leftovers = groupMembers(pid)
    await Promise.race([Promise.all([drained(child.stdout!), drained(child.stderr!)]), new Promise((r) => setTimeout(r, 2000))])
    const report = existsSync(reportFile) ? (readJson(reportFile) as JestJsonReport) : undefined
    const lines = readLines(resultsFile)
    const output = `${stdout}\n${stderr}`
    const plan = /workerdb · plan: (\d+) clones? \((.*)\)/.exec(stderr)
    const ran = /workerdb · jest \S+: (?:(in band)|(\d+) workers?)[ ,]/.exec(stderr)
    const done = lines.filter((l) => l.event === 'done')
    for (const d of done) d.inBand = d.pid === pid
    const result: JestRunResult = {
      code, signal, stdout, stderr, output, report, lines, done, leftovers,
      ms: Math.round(performance.now() - started),
      planned: plan ? { count: Number(plan[1]), reason: plan[2]! } : undefined,
      ran: ran ? { inBand: Boolean(ran[1]), workers: ran[1] ? 1 : Number(ran[2]) } : undefined,
      runId: done[0]?.runId,
    }
    if (process.env.E2E_VERBOSE === '1') console.log(`jest ${project.jest} in ${project.dir}\n${describeRun(result)}`)
    return result
  } finally {
    killGroup(pid)
  }
}

function drained(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((r) => {
    if ((stream as unknown as { readableEnded?: boolean }).readableEnded) return r()
    stream.once('end', () => r())
    stream.once('close', () => r())
  })
}

function readLines(file: string): ResultLine[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ResultLine)
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/** A compact description of a run for failure messages. */
export function describeRun(r: JestRunResult): string {
  const cut = (s: string) => (s.length > 6000 ? `…${s.slice(-6000)}` : s)
  return [
    `exit ${r.code ?? r.signal} after ${r.ms} ms; report: ${r.report ? `${r.report.numPassedTests} passed, ${r.report.numFailedTests} failed, ${r.report.numFailedTestSuites} suites failed` : 'none'}`,
    `--- stderr\n${cut(r.stderr)}`,
    `leftover processes: ${r.leftovers.join('; ') || 'none'}`,
    `--- results\n${r.lines.map((l) => JSON.stringify(l)).join('\n')}`,
  ].join('\n')
}

// ---------------------------------------------------------------------------------------------------
// What a passing run must show
// ---------------------------------------------------------------------------------------------------

/**
 * Every way a run can break the contract, as readable lines (empty = all good): every file ran once and
 * passed, each on the clone of its JEST_WORKER_ID, all clones of one run of this prefix, worker ids within
 * the plan (and only id 1 in band), no two files on one database at the same time.
 */
export function isolationProblems(project: JestProject, r: JestRunResult, expectFiles = project.files): string[] {
  const p: string[] = []
  if (r.code !== 0) p.push(`jest exited with ${r.code ?? r.signal}`)
  if (!r.report) p.push('no JSON report')
  else {
    if (r.report.numFailedTests !== 0 || r.report.numFailedTestSuites !== 0) p.push(`${r.report.numFailedTests} failed tests, ${r.report.numFailedTestSuites} failed suites`)
    if (r.report.numPassedTests !== expectFiles.length) p.push(`${r.report.numPassedTests} passed tests, expected ${expectFiles.length}`)
  }
  if (!r.planned) p.push('no "workerdb · plan: N clones (…)" line on stderr')
  if (!r.ran) p.push('no "workerdb · jest …" summary line from the reporter')
  if (r.leftovers.length) p.push(`processes of the run were still alive after jest exited: ${r.leftovers.join('; ')}`)
  const planned = r.planned?.count ?? 0

  const byFile = new Map<string, ResultLine[]>()
  for (const d of r.done) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  for (const f of expectFiles) {
    const n = byFile.get(f)?.length ?? 0
    if (n !== 1) p.push(`${f} reported ${n} results, expected 1`)
  }
  const runIds = new Set(r.done.map((d) => d.runId))
  if (runIds.size > 1) p.push(`results from several runs: ${[...runIds].join(', ')}`)
  for (const d of r.done) {
    const id = Number(d.workerId)
    const expected = `${project.prefix}_${d.runId}_${d.workerId}`
    if (!Number.isInteger(id) || id < 1 || id > planned) p.push(`${d.file}: JEST_WORKER_ID ${d.workerId} outside 1..${planned} (planned clones)`)
    if (d.database !== expected) p.push(`${d.file}: on database ${d.database}, expected ${expected}`)
    if (d.database !== d.assigned) p.push(`${d.file}: on ${d.database}, but the manifest assigns ${d.assigned} to worker ${d.workerId}`)
    if (d.database !== d.wdbDatabase) p.push(`${d.file}: getWorkerDatabase() says ${d.wdbDatabase}, connected to ${d.database}`)
    if (!d.locked) p.push(`${d.file}: pg_try_advisory_lock(4242) was false on ${d.database}: another file held it`)
    if (d.clones !== planned) p.push(`${d.file}: manifest lists ${d.clones} clones, stderr planned ${planned}`)
    if (r.ran && d.inBand !== r.ran.inBand) p.push(`${d.file}: in band ${d.inBand}, but the reporter said in band ${r.ran.inBand}`)
    if (d.inBand && d.workerId !== '1') p.push(`${d.file}: in band with JEST_WORKER_ID ${d.workerId}`)
    if (d.manifest && existsSync(d.manifest)) p.push(`the run's manifest ${d.manifest} was left behind`)
  }
  p.push(...overlaps(r.done))
  return p
}

/** Pairs of files that held one database at the same time. */
export function overlaps(done: ResultLine[]): string[] {
  const p: string[] = []
  const sorted = [...done].sort((a, b) => a.start! - b.start!)
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!, b = sorted[j]!
      if (a.database === b.database && b.start! < a.end!) {
        p.push(`${a.file} [${a.start}–${a.end}] and ${b.file} [${b.start}–${b.end}] overlapped on ${a.database}`)
      }
    }
  }
  return p
}

export function expectIsolated(project: JestProject, r: JestRunResult, expectFiles?: string[]): void {
  const p = isolationProblems(project, r, expectFiles)
  if (p.length) throw new Error(`run in ${project.dir} broke isolation:\n  - ${p.join('\n  - ')}\n${describeRun(r)}`)
}

// ---------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------


// ---------------------------------------------------------------------------------------------------
// The fidelity matrix
// ---------------------------------------------------------------------------------------------------

/**
 * Records this test's outcome as a Jest row of the README's fidelity matrix, once it has finished (so a
 * failure is recorded as one). Call it first thing in the test.
 */
export function jestMatrixRow(major: JestMajor, row: { mode: string; scenario: string; pool?: string }): void {
  const { testPath, currentTestName } = expect.getState()
  const id = testPath && currentTestName ? `${relative(E2E_DIR, testPath)} > ${currentTestName}` : undefined
  onTestFinished(({ task }) => {
    const failed = task.result?.state === 'fail'
    recordMatrix({
      framework: 'jest', version: JEST_VERSIONS[major], pool: row.pool ?? 'workers', mode: row.mode, scenario: row.scenario,
      result: failed ? 'fail' : 'pass', ...(failed ? { detail: String(task.result?.errors?.[0]?.message ?? '').split('\n')[0].slice(0, 200) } : {}),
      ...(id ? { id } : {}),
    })
  })
}

// ---------------------------------------------------------------------------------------------------
// Watch mode
// ---------------------------------------------------------------------------------------------------

export interface JestWatch {
  pid: number
  /** stdout + stderr so far. */
  output(): string
  /** The generated files' result lines so far (all runs of the session). */
  lines(): ResultLine[]
  /** Resolves once `check` holds, polling; rejects with the output after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs?: number): Promise<void>
}

/** `jest --watchAll` in its own process group, killed by killAll() (afterEach) like every other run. */
export function startJestWatch(project: JestProject, args: string[] = []): JestWatch {
  const bin = join(fixtureDir(project.jest), 'node_modules', 'jest', 'bin', 'jest.js')
  writeFileSync(project.resultsFile, '')
  const child = spawn(process.execPath, [bin, '--watchAll', ...args], {
    cwd: project.dir, env: childEnv({ CI: undefined }, project.resultsFile), stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  })
  const pid = child.pid!
  live.add(pid)
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { out += d })
  return {
    pid,
    output: () => out,
    lines: () => readLines(project.resultsFile),
    async until(what, check, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`jest --watchAll: ${what} did not happen within ${timeoutMs} ms\n--- output\n${out.slice(-5000)}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
}
