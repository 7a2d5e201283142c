/**
 * e2e harness: writes a small user project (a "scenario") inside a fixture package, runs the REAL vitest
 * binary of that fixture in a child process group, and reads back what every test file saw.
 *
 * A scenario lives in `e2e/fixtures/vitest<N>/.runs/<id>/` so that node resolution from its files finds that
 * fixture's `vitest`, `pg` and `@workerdb/vitest` (the built dist/ of packages/vitest).
 *
 * Each generated test file:
 *   - appends a `loaded` line when its module is imported (workerdb's setup file runs before that, so a
 *     worker without a clone never gets here),
 *   - connects to DATABASE_URL and appends a `connected` line,
 *   - checks current_database() against the clone the manifest assigns to VITEST_POOL_ID,
 *   - takes pg_try_advisory_lock(4242) (per database: a second file on the same database at the same
 *     time would get false), holds it, releases it,
 *   - appends a `done` line with everything it saw.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, afterEach } from 'vitest'

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FIXTURES_DIR = join(E2E_DIR, 'fixtures')

export type Major = 3 | 4

function fixtureVitest(major: Major): string {
  const file = join(FIXTURES_DIR, `vitest${major}`, 'node_modules', 'vitest', 'package.json')
  if (!existsSync(file)) throw new Error(`the e2e fixture e2e/fixtures/vitest${major} is not installed: run \`pnpm install\` at the repo root`)
  return readJson(file).version
}

export const VITEST_VERSIONS: Record<Major, string> = { 3: fixtureVitest(3), 4: fixtureVitest(4) }

/** The server the root globalSetup chose (the machine's PostgreSQL, or an embedded one). */
export function serverUrl(): string {
  const url = process.env.WORKERDB_TEST_URL
  if (!url) throw new Error('WORKERDB_TEST_URL is not set: run the e2e project through the root vitest config')
  return url
}

// ---------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------

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
  /** Removes the scenario dir (not the databases). */
  remove(): void
}

/** The migration every scenario runs: its side effect (time and txid of the build) shows template reuse. */
export const MIGRATION_SQL = `create table e2e_seed (id int primary key, built_at text not null, txid bigint not null);
insert into e2e_seed values (1, clock_timestamp()::text, txid_current());
`

const RUNS_DIR = (major: Major) => join(FIXTURES_DIR, `vitest${major}`, '.runs')

/** Every e2e prefix starts with this, so stale e2e databases can be found (and only those). */
export const E2E_PREFIX_START = 'e2'

/** `e2` + a tag of 1–4 chars + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function uniquePrefix(tag: string): string {
  if (!/^[a-z0-9]{1,4}$/.test(tag)) throw new Error(`bad prefix tag ${tag}`)
  return `${E2E_PREFIX_START}${tag}${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`
}

/**
 * Registers the cleanup of one test file and returns its scenario factory: after each test the process
 * groups of its runs are killed and its scenario dirs removed (pass or fail); after the file, every
 * database of its prefixes (templates too) is dropped, and leftovers of e2e runs that died are swept.
 */
export function useScenarios(): { project(o: ProjectOptions & { tag?: string }): Project } {
  const prefixes = new Set<string>()
  const projects = new Set<Project>()
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
      const prefix = o.prefix ?? uniquePrefix(o.tag ?? `x${o.vitest}`)
      prefixes.add(prefix)
      const p = makeProject({ ...o, prefix })
      projects.add(p)
      return p
    },
  }
}

const STALE_MS = 60 * 60 * 1000

/** Scenario dirs and e2e databases older than an hour: left by an e2e run that was killed. */
export async function sweepStale(url = serverUrl()): Promise<void> {
  for (const major of [3, 4] as const) {
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
  const rows = await adminQuery<{ datname: string; comment: string | null }>(
    `select datname, shobj_description(oid, 'pg_database') as comment from pg_database where datname ~ $1`,
    [`^${E2E_PREFIX_START}[a-z0-9]{1,10}_`], url)
  for (const { datname, comment } of rows) {
    let createdAt = NaN
    try {
      const marker = JSON.parse(comment ?? '')
      if (marker?.tool === 'workerdb') createdAt = Date.parse(marker.createdAt)
    } catch {
      // no workerdb marker: not ours
    }
    if (Date.now() - createdAt > STALE_MS) await dropDatabase(datname, url)
  }
}

export function makeProject(o: ProjectOptions): Project {
  const prefix = o.prefix ?? uniquePrefix('e')
  const dir = join(RUNS_DIR(o.vitest), `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`)
  const testDir = join(dir, 'test')
  mkdirSync(testDir, { recursive: true })
  mkdirSync(join(dir, 'migrations'))
  writeFileSync(join(dir, 'migrations', '0001_seed.sql'), MIGRATION_SQL)
  // The scenario's own config file: found first, so no workerdb.config.* higher up the tree leaks in.
  writeFileSync(join(dir, 'workerdb.config.mjs'),
    `export default ${JSON.stringify({ prefix, migrate: { sql: './migrations' } }, null, 2)}\n`)
  const test = { include: ['test/**/*.test.mjs'], ...o.config }
  const plugins = [`workerDb(${JSON.stringify(o.workerDb ?? {})})`, ...(o.plugins ?? [])]
  writeFileSync(join(dir, 'vitest.config.mjs'), `import { workerDb } from '@workerdb/vitest'

export default {
  plugins: [${plugins.join(', ')}],
  test: ${JSON.stringify(test, null, 2).replace(/\n/g, '\n  ')},
}
`)
  const files: string[] = []
  for (let i = 1; i <= o.files; i++) {
    const name = `file${String(i).padStart(2, '0')}`
    files.push(name)
    writeFileSync(join(testDir, `${name}.test.mjs`), testFileSource(name, prefix, o.holdMs ?? 150))
  }
  for (const [rel, text] of Object.entries(o.extraFiles ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  const resultsFile = join(dir, 'results.jsonl')
  return {
    dir, vitest: o.vitest, prefix, files, resultsFile, reportFile: join(dir, 'report.json'),
    remove: () => {
      if (process.env.E2E_KEEP === '1') return
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    },
  }
}

function testFileSource(name: string, prefix: string, holdMs: number): string {
  return `import { appendFileSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { expect, test } from 'vitest'
import { getWorkerDatabase } from '@workerdb/vitest'

const FILE = ${JSON.stringify(name)}
const PREFIX = ${JSON.stringify(prefix)}
const HOLD_MS = ${holdMs}
const log = (line) => appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: FILE, pid: process.pid, ...line }) + '\\n')

log({ event: 'loaded', poolId: process.env.VITEST_POOL_ID })

test(FILE, async () => {
  const poolId = process.env.VITEST_POOL_ID
  const workerId = process.env.VITEST_WORKER_ID
  const wdb = getWorkerDatabase()
  const manifest = JSON.parse(readFileSync(process.env.WORKERDB_MANIFEST, 'utf8'))
  const assigned = manifest.clones.find((c) => c.slot === Number(poolId))
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    log({ event: 'connected', poolId })
    const start = Date.now()
    const { rows: [{ db, data_dir }] } = await client.query("select current_database() as db, current_setting('data_directory') as data_dir")
    const { rows: [{ locked }] } = await client.query('select pg_try_advisory_lock(4242) as locked')
    await new Promise((r) => setTimeout(r, HOLD_MS))
    const { rows: [seed] } = await client.query('select built_at, txid::text from e2e_seed where id = 1')
    if (locked) await client.query('select pg_advisory_unlock(4242)')
    const end = Date.now()
    log({
      event: 'done', poolId, workerId, database: db, start, end, locked,
      wdbDatabase: wdb.database, wdbWorkerId: wdb.workerId, runId: wdb.runId,
      assigned: assigned?.database ?? null, clones: manifest.clones.length, plan: manifest.plan,
      template: manifest.template, seed, dataDir: data_dir, manifest: process.env.WORKERDB_MANIFEST,
    })
    expect(db).toBe(assigned?.database)
    expect(db).toBe(wdb.database)
    expect(db.startsWith(PREFIX + '_')).toBe(true)
    expect(db.endsWith('_' + poolId)).toBe(true)
    expect(locked).toBe(true)
  } finally {
    await client.end()
  }
})
`
}

// ---------------------------------------------------------------------------------------------------
// Running vitest
// ---------------------------------------------------------------------------------------------------

export interface ResultLine {
  file: string
  pid: number
  event: 'loaded' | 'connected' | 'done'
  poolId?: string
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
  /** The server's data_directory, as the test saw it. */
  dataDir?: string
  /** The manifest file the run wrote (WORKERDB_MANIFEST); gone once the run ends. */
  manifest?: string
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
  /** From workerdb's summary line `plan: N clones (reason)`. */
  planned: { count: number; reason: string } | undefined
}

export interface RunOptions {
  args?: string[]
  /** Extra env; `undefined` values delete. By default WORKERDB_URL is the test server. */
  env?: Record<string, string | undefined>
  /** Run without WORKERDB_URL (zero-config: workerdb starts its embedded server). */
  embedded?: boolean
  timeoutMs?: number
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

// The runs are detached from this process's group, so Ctrl-C or a killed test worker would not reach them:
// take them down on the way out too (SIGKILL of this process is the one case nothing can catch).
process.once('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll()
    process.kill(process.pid, sig)
  })
}

/** Live members of a process group, from /proc (zombies excluded). */
export function groupMembers(pgid: number): string[] {
  const out: string[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid pgrp …; comm may hold spaces and parens: split after the last ')'.
      const close = stat.lastIndexOf(')')
      const [state, , pgrp] = stat.slice(close + 2).split(' ')
      if (Number(pgrp) !== pgid || state === 'Z') continue
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()
      out.push(`${entry} ${cmd || stat.slice(stat.indexOf('(') + 1, close)}`)
    } catch {
      // exited while we looked
    }
  }
  return out
}

function childEnv(extra: RunOptions['env'], resultsFile: string, embedded: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  // This process is itself a vitest worker: none of its vitest/workerdb/PG variables may leak into the child.
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|WORKERDB_|PG)/.test(k) || ['TEST', 'NODE_ENV', 'DATABASE_URL', 'FORCE_TTY', 'FORCE_COLOR'].includes(k)) continue
    env[k] = v
  }
  env.NO_COLOR = '1'
  env.E2E_RESULTS = resultsFile
  if (!embedded) env.WORKERDB_URL = serverUrl()
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

export async function runVitest(project: Project, o: RunOptions = {}): Promise<RunResult> {
  const bin = join(FIXTURES_DIR, `vitest${project.vitest}`, 'node_modules', 'vitest', 'vitest.mjs')
  rmSync(project.resultsFile, { force: true })
  rmSync(project.reportFile, { force: true })
  writeFileSync(project.resultsFile, '')
  const args = [bin, 'run', '--reporter=default', '--reporter=json', `--outputFile=${project.reportFile}`, ...(o.args ?? [])]
  const started = performance.now()
  const child = spawn(process.execPath, args, {
    cwd: project.dir,
    env: childEnv(o.env, project.resultsFile, o.embedded ?? false),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: the whole tree can be killed at once
  })
  const pid = child.pid!
  live.add(pid)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  let timedOut = false
  let leftovers: string[] = []
  try {
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((res, rej) => {
      child.once('error', rej)
      child.once('exit', (code, signal) => res([code, signal]))
    })
    const timeoutMs = o.timeoutMs ?? 120_000
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs) })
    const first = await Promise.race([exited, timeout])
    clearTimeout(timer)
    if (first === 'timeout') {
      timedOut = true
      leftovers = groupMembers(pid)
      killGroup(pid)
    }
    const [code, signal] = await exited
    if (!timedOut) leftovers = groupMembers(pid)
    // Let the pipes drain (a grandchild that inherited them may still hold them open: don't wait for it).
    await Promise.race([
      Promise.all([once(child.stdout!), once(child.stderr!)]),
      new Promise((r) => setTimeout(r, 2000)),
    ])
    const report = existsSync(project.reportFile) ? (readJson(project.reportFile) as JsonReport) : undefined
    const lines = readLines(project.resultsFile)
    const output = `${stdout}\n${stderr}`
    const m = /workerdb · plan: (\d+) clones? \((.*)\)/.exec(stderr)
    const result: RunResult = {
      code, signal, timedOut, stdout, stderr, output, report, lines,
      done: lines.filter((l) => l.event === 'done'),
      ms: Math.round(performance.now() - started),
      leftovers,
      planned: m ? { count: Number(m[1]), reason: m[2]! } : undefined,
    }
    if (process.env.E2E_VERBOSE === '1') console.log(`vitest ${project.vitest} in ${project.dir}\n${describeRun(result)}`)
    if (timedOut) throw new Error(`vitest ${project.vitest} did not finish within ${timeoutMs} ms in ${project.dir}\n${describeRun(result)}`)
    return result
  } finally {
    killGroup(pid)
  }
}

function once(stream: NodeJS.ReadableStream): Promise<void> {
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
export function describeRun(r: RunResult): string {
  const cut = (s: string) => (s.length > 6000 ? `…${s.slice(-6000)}` : s)
  // tsup cleans dist/ before writing it: a build of packages/* during a run breaks that run.
  const rebuilt = /ENOENT[^\n]*packages\/\w+\/dist\//.test(r.output)
  return [
    ...(rebuilt ? ['NOTE: a file of packages/*/dist vanished during the run: was a package being rebuilt (tsup) at the same time?'] : []),
    `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} after ${r.ms} ms; report: ${r.report ? `${r.report.numPassedTests} passed, ${r.report.numFailedTests} failed` : 'none'}`,
    `--- stderr\n${cut(r.stderr)}`,
    `--- stdout\n${cut(r.stdout)}`,
    `leftover processes: ${r.leftovers.join("; ") || "none"}`,
    `--- results\n${r.lines.map((l) => JSON.stringify(l)).join('\n')}`,
  ].join('\n')
}

// ---------------------------------------------------------------------------------------------------
// What a passing run must show
// ---------------------------------------------------------------------------------------------------

/**
 * Every way a run can break the contract, as readable lines (empty = all good): every file ran and
 * passed, each on the clone of its VITEST_POOL_ID, all clones of one run of this prefix, no two files
 * on one database at the same time, pool ids within the plan.
 */
export function isolationProblems(project: Project, r: RunResult): string[] {
  const p: string[] = []
  if (r.code !== 0) p.push(`vitest exited with ${r.code ?? r.signal}`)
  if (!r.report) p.push('no JSON report')
  else {
    if (r.report.numFailedTests !== 0) p.push(`${r.report.numFailedTests} failed tests`)
    if (r.report.numPassedTests !== project.files.length) p.push(`${r.report.numPassedTests} passed tests, expected ${project.files.length}`)
  }
  if (!r.planned) p.push('no "workerdb · plan: N clones (…)" line on stderr')
  if (r.leftovers.length) p.push(`processes of the run were still alive after vitest exited: ${r.leftovers.join('; ')}`)
  const planned = r.planned?.count ?? 0

  const byFile = new Map<string, ResultLine[]>()
  for (const d of r.done) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  for (const f of project.files) {
    const n = byFile.get(f)?.length ?? 0
    if (n !== 1) p.push(`${f} reported ${n} results, expected 1`)
  }
  const runIds = new Set(r.done.map((d) => d.runId))
  if (runIds.size > 1) p.push(`results from several runs: ${[...runIds].join(', ')}`)
  const runId = [...runIds][0]
  for (const d of r.done) {
    const id = Number(d.poolId)
    const expected = `${project.prefix}_${runId}_${d.poolId}`
    if (!Number.isInteger(id) || id < 1 || id > planned) p.push(`${d.file}: VITEST_POOL_ID ${d.poolId} outside 1..${planned} (planned clones)`)
    if (d.database !== expected) p.push(`${d.file}: on database ${d.database}, expected ${expected}`)
    if (d.database !== d.assigned) p.push(`${d.file}: on ${d.database}, but the manifest assigns ${d.assigned} to pool id ${d.poolId}`)
    if (d.database !== d.wdbDatabase) p.push(`${d.file}: getWorkerDatabase() says ${d.wdbDatabase}, connected to ${d.database}`)
    if (!d.locked) p.push(`${d.file}: pg_try_advisory_lock(4242) was false on ${d.database}: another file held it`)
    if (d.clones !== planned) p.push(`${d.file}: manifest lists ${d.clones} clones, stderr planned ${planned}`)
    if (d.manifest && existsSync(d.manifest)) p.push(`the run's manifest ${d.manifest} was left behind`)
  }
  const sorted = [...r.done].sort((a, b) => a.start! - b.start!)
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

export function expectIsolated(project: Project, r: RunResult): void {
  const p = isolationProblems(project, r)
  if (p.length) throw new Error(`run in ${project.dir} broke isolation:\n  - ${p.join('\n  - ')}\n${describeRun(r)}`)
}

// ---------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------

export async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = [], url = serverUrl()): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query(sql, params)).rows as T[]
  } finally {
    await client.end().catch(() => {})
  }
}

export async function databasesWithPrefix(prefix: string, url = serverUrl()): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(
    `select datname from pg_database where datname like $1 order by datname`, [`${prefix}\\_%`], url)
  return rows.map((r) => r.datname)
}

/** Databases of this prefix other than templates: what a finished run must not leave behind. */
export async function leftoverClones(prefix: string, url = serverUrl()): Promise<string[]> {
  return (await databasesWithPrefix(prefix, url)).filter((d) => !d.startsWith(`${prefix}_tpl_`))
}

/** Drops everything with this prefix (templates included): the server is left as we found it. */
export async function dropPrefix(prefix: string, url = serverUrl()): Promise<void> {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new Error(`refusing to drop databases for prefix ${prefix}`)
  for (const name of await databasesWithPrefix(prefix, url)) await dropDatabase(name, url)
}

export async function dropDatabase(name: string, url = serverUrl()): Promise<void> {
  const q = `"${name.replace(/"/g, '""')}"`
  await adminQuery(`alter database ${q} with is_template false allow_connections true`, [], url).catch(() => {})
  await adminQuery(`drop database if exists ${q} with (force)`, [], url)
}

/** True when nothing accepts TCP connections on 127.0.0.1:port. */
export function portRefuses(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ port, host })
    s.setTimeout(2000)
    s.once('connect', () => { s.destroy(); res(false) })
    s.once('timeout', () => { s.destroy(); res(false) })
    s.once('error', () => res(true))
  })
}
