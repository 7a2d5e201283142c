/**
 * The framework-free half of the Jest e2e harness, in plain JavaScript so that `scripts/stress.mjs` (plain
 * Node, no test framework) runs exactly the scenarios and checks the Jest e2e tests run. `jest-harness.ts`
 * re-exports all of it with types (`jest-scenario.d.mts`) and adds the Vitest hooks that clean up after each
 * test file and record matrix rows.
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
 * What does not depend on the runner (the server helpers, process groups, result lines, the migration) is
 * scenario.mjs's, shared: one implementation each, and one registry of live runs for killAll().
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  childEnv as vitestChildEnv, E2E_PREFIX_START, FIXTURES_DIR, MIGRATION_SQL, readLines,
  overlaps, runGroup, serverUrl, sweepStaleIn, track,
} from './scenario.mjs'

export {
  adminQuery, awaitDroppers, awaitDropperPids, databasesWithPrefix, dropDatabase, dropPrefix, E2E_DIR, FIXTURES_DIR, groupMembers, killAll, killGroup,
  leftoverClones, MIGRATION_SQL, overlaps, rolesWithPrefix, serverUrl,
} from './scenario.mjs'

/** Every Jest major with a fixture under e2e/fixtures/jest<N>. */
export const JEST_MAJORS = [29, 30]

const fixtureDir = (major) => join(FIXTURES_DIR, `jest${major}`)
export const jestRunsDir = (major) => join(fixtureDir(major), '.runs')
const jestBin = (major) => join(fixtureDir(major), 'node_modules', 'jest', 'bin', 'jest.js')

export function jestFixtureVersion(major) {
  const file = join(fixtureDir(major), 'node_modules', 'jest', 'package.json')
  if (!existsSync(file)) throw new Error(`the e2e fixture e2e/fixtures/jest${major} is not installed: run \`pnpm install\` at the repo root`)
  return JSON.parse(readFileSync(file, 'utf8')).version
}

export const JEST_VERSIONS = Object.fromEntries(JEST_MAJORS.map((m) => [m, jestFixtureVersion(m)]))

// ---------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------

/** Every Jest e2e prefix starts with this, so stale ones can be found (and only those). */
export const JEST_PREFIX_START = `${E2E_PREFIX_START}j`

/** `e2j` + a tag of 1–3 chars + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function uniquePrefix(tag) {
  if (!/^[a-z0-9]{1,3}$/.test(tag)) throw new Error(`bad prefix tag ${tag}`)
  return `${JEST_PREFIX_START}${tag}${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`
}

/** Scenario dirs and Jest e2e databases older than an hour: left by an e2e run that was killed. */
export async function sweepStale(url = serverUrl()) {
  await sweepStaleIn(JEST_MAJORS.map(jestRunsDir), url)
}

export function makeProject(o) {
  const prefix = uniquePrefix(o.tag)
  const dir = join(jestRunsDir(o.jest), `${prefix}-${Date.now().toString(36)}`)
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
  const files = []
  for (let i = 1; i <= o.files; i++) {
    const name = `file${String(i).padStart(2, '0')}`
    files.push(name)
    const sub = join(dir, dirs[(i - 1) % dirs.length])
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

export function testFileSource(name, prefix, holdMs, ext = 'js') {
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
  const t = (type) => (ts ? `: ${type}` : '')
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

/**
 * The Vitest harness's child env, minus this process's JEST_* variables too: a JEST_WORKER_ID inherited from
 * an outer runner would tell the run's workerdb a worker id that is not its own.
 */
export function childEnv(extra, resultsFile) {
  const jest = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('JEST_')).map((k) => [k, undefined]))
  return vitestChildEnv({ ...jest, ...extra }, resultsFile, false)
}

export async function runJest(project, o = {}) {
  const named = (file) => (o.tag ? file.replace(/(\.\w+)$/, `-${o.tag}$1`) : file)
  const reportFile = named(project.reportFile)
  const resultsFile = named(project.resultsFile)
  rmSync(reportFile, { force: true })
  writeFileSync(resultsFile, '')
  const args = [jestBin(project.jest), '--json', `--outputFile=${reportFile}`, ...(o.args ?? [])]
  const timeoutMs = o.timeoutMs ?? 90_000
  const { pid, code, signal, timedOut, stdout, stderr, leftovers, ms } = await runGroup(process.execPath, args, {
    cwd: project.dir, env: childEnv(o.env, resultsFile), timeoutMs,
  })
  if (timedOut) {
    throw new Error(`jest ${project.jest} did not finish within ${timeoutMs} ms in ${project.dir}; processes: ${leftovers.join('; ')}\n--- stderr\n${stderr.slice(-4000)}`)
  }
  const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : undefined
  const lines = readLines(resultsFile)
  const output = `${stdout}\n${stderr}`
  const plan = /workerdb · plan: (\d+) clones? \((.*)\)/.exec(stderr)
  const ran = /workerdb · jest \S+: (?:(in band)|(\d+) workers?)[ ,]/.exec(stderr)
  const done = lines.filter((l) => l.event === 'done')
  for (const d of done) d.inBand = d.pid === pid
  const result = {
    code, signal, stdout, stderr, output, report, lines, done, leftovers, ms,
    planned: plan ? { count: Number(plan[1]), reason: plan[2] } : undefined,
    ran: ran ? { inBand: Boolean(ran[1]), workers: ran[1] ? 1 : Number(ran[2]) } : undefined,
    runId: done[0]?.runId,
  }
  if (process.env.E2E_VERBOSE === '1') console.log(`jest ${project.jest} in ${project.dir}\n${describeRun(result)}`)
  return result
}

/** A compact description of a run for failure messages. */
export function describeRun(r) {
  const cut = (s) => (s.length > 6000 ? `…${s.slice(-6000)}` : s)
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
export function isolationProblems(project, r, expectFiles = project.files) {
  const p = []
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

  const byFile = new Map()
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

// ---------------------------------------------------------------------------------------------------
// Watch mode
// ---------------------------------------------------------------------------------------------------

/** `jest --watchAll` in its own process group, killed by killAll() (afterEach) like every other run. */
export function startJestWatch(project, args = []) {
  writeFileSync(project.resultsFile, '')
  const child = spawn(process.execPath, [jestBin(project.jest), '--watchAll', ...args], {
    cwd: project.dir, env: childEnv({ CI: undefined }, project.resultsFile), stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`cannot start ${process.execPath}`)
  track(pid)
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d })
  child.stderr.setEncoding('utf8').on('data', (d) => { out += d })
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
