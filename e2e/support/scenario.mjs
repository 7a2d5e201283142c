/**
 * The framework-free half of the Vitest e2e harness, in plain JavaScript so that `scripts/stress.mjs` (plain
 * Node, no test framework) runs exactly the scenarios and checks the e2e tests run. `harness.ts` re-exports
 * all of it with types (`scenario.d.mts`) and adds the Vitest hooks that clean up after each test file.
 *
 * A scenario is a small user project written inside a fixture package (`e2e/fixtures/vitest<N>/.runs/<id>/`),
 * so that node resolution from its files finds that fixture's `vitest`, `pg` and `@workerdb/vitest` (the
 * built dist/ of packages/vitest). It is run by the REAL vitest binary of that fixture in a child process
 * group (Vitest 5 under Node 22), and every generated test file reports what it saw as JSON lines:
 *   - a `loaded` line when its module is imported (workerdb's setup file runs before that, so a worker
 *     without a clone never gets here),
 *   - a `connected` line once it connected to DATABASE_URL,
 *   - it checks current_database() against the clone the manifest assigns to VITEST_POOL_ID,
 *   - takes pg_try_advisory_lock(4242) (per database: a second file on the same database at the same time
 *     would get false), holds it, releases it,
 *   - a `done` line with everything it saw.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FIXTURES_DIR = join(E2E_DIR, 'fixtures')
/** Every Vitest major with a fixture under e2e/fixtures/vitest<N>. */
export const MAJORS = [3, 4, 5]

export function fixtureVersion(major) {
  const file = join(FIXTURES_DIR, `vitest${major}`, 'node_modules', 'vitest', 'package.json')
  if (!existsSync(file)) throw new Error(`the e2e fixture e2e/fixtures/vitest${major} is not installed: run \`pnpm install\` at the repo root`)
  return readJson(file).version
}

export const VITEST_VERSIONS = Object.fromEntries(MAJORS.map((m) => [m, fixtureVersion(m)]))

/** The server the root globalSetup chose (the machine's PostgreSQL, or an embedded one). */
export function serverUrl() {
  const url = process.env.WORKERDB_TEST_URL
  if (!url) throw new Error('WORKERDB_TEST_URL is not set: run the e2e project through the root vitest config')
  return url
}

// ---------------------------------------------------------------------------------------------------
// Node for each Vitest major
// ---------------------------------------------------------------------------------------------------

/** Vitest 5 needs Node ^22.12 (its `engines`); 3 and 4 run on this process's Node (20 here). */
const NODE22_ENV = 'E2E_NODE22'
let node22

/**
 * The Node 22 binary, resolved once per process through `npx -y -p node@22` (first time: a download into
 * the npx cache; then ~1 s) and handed to child processes through E2E_NODE22, so it is resolved once per
 * test file at most.
 */
export function node22Path() {
  if (node22) return node22
  const given = process.env[NODE22_ENV]
  if (given && existsSync(given)) return (node22 = given)
  if (Number(process.versions.node.split('.')[0]) >= 22) return (node22 = process.execPath)
  const out = execFileSync('npx', ['-y', '-p', 'node@22', 'node', '-p', 'process.execPath'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000,
  })
  const path = out.trim().split('\n').pop()
  if (!path || !existsSync(path)) throw new Error(`npx -y -p node@22 did not give a node binary (got ${JSON.stringify(out)})`)
  process.env[NODE22_ENV] = path
  return (node22 = path)
}

export function nodeFor(major) {
  return major >= 5 ? node22Path() : process.execPath
}

export function vitestBin(major) {
  return join(FIXTURES_DIR, `vitest${major}`, 'node_modules', 'vitest', 'vitest.mjs')
}

// ---------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------

/** The migration every scenario runs: its side effect (time and txid of the build) shows template reuse. */
export const MIGRATION_SQL = `create table e2e_seed (id int primary key, built_at text not null, txid bigint not null);
insert into e2e_seed values (1, clock_timestamp()::text, txid_current());
`

export const runsDir = (major) => join(FIXTURES_DIR, `vitest${major}`, '.runs')

/** Every e2e prefix starts with this, so stale e2e databases can be found (and only those). */
export const E2E_PREFIX_START = 'e2'

/** `e2` + a tag of 1–4 chars + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function uniquePrefix(tag) {
  if (!/^[a-z0-9]{1,4}$/.test(tag)) throw new Error(`bad prefix tag ${tag}`)
  return `${E2E_PREFIX_START}${tag}${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`
}

export function makeProject(o) {
  const prefix = o.prefix ?? uniquePrefix('e')
  const dir = join(runsDir(o.vitest), `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`)
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
  const holdMs = o.holdMs ?? 150
  const files = []
  const addFile = (name, sub = 'test') => {
    mkdirSync(join(dir, sub), { recursive: true })
    writeFileSync(join(dir, sub, `${name}.test.mjs`), testFileSource(name, prefix, holdMs))
    files.push(name)
    return join(dir, sub, `${name}.test.mjs`)
  }
  for (let i = 1; i <= o.files; i++) addFile(`file${String(i).padStart(2, '0')}`)
  for (const [rel, text] of Object.entries(o.extraFiles ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  const resultsFile = join(dir, 'results.jsonl')
  return {
    dir, vitest: o.vitest, prefix, files, resultsFile, reportFile: join(dir, 'report.json'), addFile,
    remove: () => {
      if (process.env.E2E_KEEP === '1') return
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    },
  }
}

export function testFileSource(name, prefix, holdMs) {
  return `import { appendFileSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { expect, inject, test } from 'vitest'
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
    // What the plugin provided (project.provide → inject): this run, and this slot's database.
    let provided
    try {
      const p = inject('workerdb')
      provided = p ? { runId: p.runId, count: p.plan.count, database: p.clones.find((c) => c.slot === Number(poolId))?.database ?? null } : null
    } catch (err) {
      provided = { error: String(err) }
    }
    log({
      event: 'done', poolId, workerId, database: db, start, end, locked,
      wdbDatabase: wdb.database, wdbWorkerId: wdb.workerId, runId: wdb.runId,
      assigned: assigned?.database ?? null, clones: manifest.clones.length, plan: manifest.plan,
      template: manifest.template, seed, dataDir: data_dir, manifest: process.env.WORKERDB_MANIFEST,
      project: process.env.E2E_PROJECT_NAME ?? null, provided,
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
// Process groups
// ---------------------------------------------------------------------------------------------------

/** Runs still in flight, by the pid we spawned: killed by killAll() whatever happened. */
const live = new Map()

export function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
  live.delete(pid)
}

/**
 * Registers a run started elsewhere (the Jest harness) in the same registry, so one killAll() and the exit
 * and signal handlers below take down every run of this process, whichever framework it ran.
 */
export function track(pid, kill = () => killGroup(pid)) {
  live.set(pid, kill)
}

export function killAll() {
  for (const [pid, kill] of [...live]) {
    kill()
    live.delete(pid)
  }
}

// The runs are detached from this process's group, so Ctrl-C or a killed test worker would not reach them:
// take them down on the way out too (SIGKILL of this process is the one case nothing can catch).
process.once('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAll()
    process.kill(process.pid, sig)
  })
}

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // pid (comm) state ppid pgrp session …; comm may hold spaces and parens: split after the last ')'.
  const close = stat.lastIndexOf(')')
  const [state, ppid, pgrp, session] = stat.slice(close + 2).split(' ')
  return { pid: Number(pid), state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), comm: stat.slice(stat.indexOf('(') + 1, close) }
}

function allProcs() {
  const out = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      out.push(procStat(entry))
    } catch {
      // exited while we looked
    }
  }
  return out
}

function describeProc(p) {
  let cmd = ''
  try {
    cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    // gone
  }
  return `${p.pid} ${cmd || p.comm}`
}

/**
 * A run on a URL server hands its drops to a detached process ("workerdb · dropping N clones in the
 * background (pid P)"): wait for it, so that what the server holds afterwards is what the run left. One
 * still running at the deadline is killed, and returned as a leftover process of the run.
 */
export async function awaitDroppers(output, timeoutMs = 30_000) {
  return awaitDropperPids([...output.matchAll(/workerdb · dropping \d+ clones? in the background \(pid (\d+)\)/g)].map((m) => Number(m[1])), timeoutMs)
}

/** The same, by pid (a run's WORKERDB_SUMMARY_FILE names its dropper: `dropperPid`). */
export async function awaitDropperPids(pids, timeoutMs = 30_000) {
  const running = (pid) => {
    try {
      return procStat(pid).state !== 'Z'
    } catch {
      return false
    }
  }
  const deadline = Date.now() + timeoutMs
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  const stuck = pids.filter(running)
  for (const pid of stuck) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  return stuck.map((pid) => `${pid} workerdb's dropper, still running ${timeoutMs} ms after its run`)
}

/** Live members of a process group, from /proc (zombies excluded). */
export function groupMembers(pgid) {
  return allProcs().filter((p) => p.pgrp === pgid && p.state !== 'Z').map(describeProc)
}

/** Live members of a session (a pty child: `script` makes its command a session leader). */
export function sessionMembers(sid) {
  return allProcs().filter((p) => p.session === sid && p.state !== 'Z').map(describeProc)
}

/**
 * Kills a process, everything below it, and the groups and sessions they lead — for a tree that left its
 * process group (a command under `script` runs in a session of its own). Never touches our own group.
 */
export function killTree(pid) {
  const procs = allProcs()
  const own = procStat(process.pid)
  const tree = new Set([pid])
  for (let grew = true; grew;) {
    grew = false
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true }
  }
  const leaders = new Set([pid, ...procs.filter((p) => tree.has(p.pid) && (p.pgrp === p.pid || p.session === p.pid)).map((p) => p.pid)])
  for (const p of procs) {
    if (p.pgrp === own.pgrp || p.session === own.session) continue
    if (leaders.has(p.pgrp) || leaders.has(p.session)) tree.add(p.pid)
  }
  for (const g of leaders) {
    if (g === own.pgrp) continue
    try { process.kill(-g, 'SIGKILL') } catch { /* not a group, or gone */ }
  }
  for (const p of tree) {
    if (p === process.pid) continue
    try { process.kill(p, 'SIGKILL') } catch { /* gone */ }
  }
  live.delete(pid)
}

// ---------------------------------------------------------------------------------------------------
// Running vitest
// ---------------------------------------------------------------------------------------------------

export function childEnv(extra, resultsFile, embedded) {
  const env = {}
  // This process may itself be a vitest worker: none of its vitest/workerdb/PG variables may leak into the child.
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

/** Result and report files of one run; `tag` keeps runs of one project at the same time apart (shards). */
function outputsFor(project, tag) {
  if (!tag) return { resultsFile: project.resultsFile, reportFile: project.reportFile }
  return { resultsFile: join(project.dir, `results-${tag}.jsonl`), reportFile: join(project.dir, `report-${tag}.json`) }
}

/**
 * One test-runner run, for both harnesses: `command args` in its own process group (so the whole tree,
 * workers included, can be killed at once), its output collected, until it exits or `timeoutMs` passes
 * (then the group is killed). The group is killed on return whatever happened. `leftovers`: the group's
 * processes still there when the runner exited (or timed out).
 */
export async function runGroup(command, args, { cwd, env, timeoutMs }) {
  const started = performance.now()
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const pid = child.pid
  if (pid === undefined) throw new Error(`cannot start ${command}`)
  track(pid)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d })
  let timedOut = false
  let leftovers = []
  try {
    const exited = new Promise((res, rej) => {
      child.once('error', rej)
      child.once('exit', (code, signal) => res([code, signal]))
    })
    let timer
    const timeout = new Promise((res) => { timer = setTimeout(() => res('timeout'), timeoutMs) })
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
      Promise.all([streamEnd(child.stdout), streamEnd(child.stderr)]),
      new Promise((r) => setTimeout(r, 2000)),
    ])
    leftovers.push(...await awaitDroppers(stderr))
    return { pid, code, signal, timedOut, stdout, stderr, leftovers, ms: Math.round(performance.now() - started) }
  } finally {
    killGroup(pid)
  }
}

export async function runVitest(project, o = {}) {
  const { resultsFile, reportFile } = outputsFor(project, o.tag)
  rmSync(resultsFile, { force: true })
  rmSync(reportFile, { force: true })
  writeFileSync(resultsFile, '')
  const args = [vitestBin(project.vitest), 'run', '--reporter=default', '--reporter=json', `--outputFile=${reportFile}`, ...(o.args ?? [])]
  const timeoutMs = o.timeoutMs ?? 120_000
  const { code, signal, timedOut, stdout, stderr, leftovers, ms } = await runGroup(nodeFor(project.vitest), args, {
    cwd: project.dir, env: childEnv(o.env, resultsFile, o.embedded ?? false), timeoutMs,
  })
  const report = existsSync(reportFile) ? readJson(reportFile) : undefined
  const lines = readLines(resultsFile)
  const output = `${stdout}\n${stderr}`
  const result = {
    code, signal, timedOut, stdout, stderr, output, report, lines,
    done: lines.filter((l) => l.event === 'done'),
    ms,
    leftovers,
    planned: plannedFrom(stderr),
  }
  if (process.env.E2E_VERBOSE === '1') console.log(`vitest ${project.vitest} in ${project.dir}\n${describeRun(result)}`)
  if (timedOut) throw new Error(`vitest ${project.vitest} did not finish within ${timeoutMs} ms in ${project.dir}\n${describeRun(result)}`)
  return result
}

/** The last `workerdb · plan: N clones (reason)` line (watch reruns that grow print another). */
export function plannedFrom(text) {
  const all = [...text.matchAll(/workerdb · plan: (\d+) clones? \((.*)\)/g)]
  const m = all.at(-1)
  return m ? { count: Number(m[1]), reason: m[2] } : undefined
}

function streamEnd(stream) {
  return new Promise((r) => {
    if (stream.readableEnded) return r()
    stream.once('end', () => r())
    stream.once('close', () => r())
  })
}

export function readLines(file) {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}

const cut = (s, n = 6000) => (s.length > n ? `…${s.slice(-n)}` : s)

/** A compact description of a run for failure messages. */
export function describeRun(r) {
  // A build of packages/* that removed dist/ files during a run breaks that run.
  const rebuilt = /ENOENT[^\n]*packages\/\w+\/dist\//.test(r.output)
  return [
    ...(rebuilt ? ['NOTE: a file of packages/*/dist vanished during the run: was a package being rebuilt at the same time?'] : []),
    `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} after ${r.ms} ms; report: ${r.report ? `${r.report.numPassedTests} passed, ${r.report.numFailedTests} failed` : 'none'}`,
    `--- stderr\n${cut(r.stderr)}`,
    `--- stdout\n${cut(r.stdout)}`,
    `leftover processes: ${r.leftovers.join('; ') || 'none'}`,
    `--- results\n${r.lines.map((l) => JSON.stringify(l)).join('\n')}`,
  ].join('\n')
}

// ---------------------------------------------------------------------------------------------------
// Watch mode: vitest on a pseudo-terminal
// ---------------------------------------------------------------------------------------------------

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>c78]|\r/g

/**
 * Vitest reads its keyboard shortcuts (`q` quits and tears down) only from a TTY: `script` gives it one.
 * Starts `vitest` in watch mode under a pseudo-terminal, stdin a pipe to it. The handle reads what the run
 * printed (ANSI stripped), waits for the n-th "Waiting for file changes", sends keys, and kills the whole
 * tree (`script`, vitest's session, its workers) on stop().
 */
export function startWatch(project, o = {}) {
  const resultsFile = project.resultsFile
  rmSync(resultsFile, { force: true })
  writeFileSync(resultsFile, '')
  const command = [nodeFor(project.vitest), vitestBin(project.vitest), 'watch', ...(o.args ?? [])].map(shq).join(' ')
  const env = childEnv({ SHELL: '/bin/sh', COLUMNS: '200', LINES: '50', ...o.env }, resultsFile, false)
  delete env.CI // CI=… makes Vitest refuse to clear the screen only, but keep the run like a developer's
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: project.dir, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('cannot start script(1)')
  live.set(pid, () => killTree(pid))
  let raw = ''
  child.stdout.setEncoding('utf8').on('data', (d) => { raw += d })
  child.stderr.setEncoding('utf8').on('data', (d) => { raw += d })
  let exit
  const exited = new Promise((res) => child.once('exit', (code, signal) => { exit = { code, signal }; res(exit) }))
  child.once('error', () => {})
  const output = () => raw.replace(ANSI, '')
  const waits = () => (output().match(/Waiting for file changes/g) ?? []).length
  const handle = {
    pid,
    output,
    lines: () => readLines(resultsFile),
    done: () => readLines(resultsFile).filter((l) => l.event === 'done'),
    waits,
    exited: () => exit,
    async waitFor(what, predicate, timeoutMs = 60_000) {
      const started = Date.now()
      while (!predicate()) {
        if (exit) throw new Error(`vitest exited (${exit.code ?? exit.signal}) while waiting for ${what}\n${cut(output())}`)
        if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${cut(output())}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    /** Vitest has finished every run it started (the last "Waiting for file changes" follows the last RERUN). */
    idle() {
      const out = output()
      return out.lastIndexOf('Waiting for file changes') > Math.max(out.lastIndexOf('RERUN'), out.lastIndexOf('workerdb · plan'))
    },
    /** Waits until vitest has finished its n-th run (first run = 1) and is idle again. */
    waitForRun(n, timeoutMs) {
      return handle.waitFor(`the end of watch run ${n}`, () => waits() >= n, timeoutMs)
    },
    send(keys) {
      child.stdin.write(keys)
    },
    /** Presses `q`, as a developer would: Vitest closes, runs the globalSetup teardowns, exits. */
    async quit(timeoutMs = 30_000) {
      child.stdin.write('q')
      let timer
      const r = await Promise.race([exited, new Promise((res) => { timer = setTimeout(() => res(undefined), timeoutMs) })])
      clearTimeout(timer)
      if (r) await awaitDroppers(output())
      return r
    },
    /** Every process of the run still alive (the tree under `script`, by group and session). */
    leftovers() {
      const own = procStat(process.pid)
      const procs = allProcs()
      const tree = new Set([pid])
      for (let grew = true; grew;) {
        grew = false
        for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true }
      }
      const sessions = new Set(procs.filter((p) => tree.has(p.pid)).map((p) => p.session))
      sessions.delete(own.session)
      return procs.filter((p) => p.state !== 'Z' && (tree.has(p.pid) || sessions.has(p.session))).map(describeProc)
    },
    stop() {
      killTree(pid)
    },
  }
  return handle
}

// ---------------------------------------------------------------------------------------------------
// What a passing run must show
// ---------------------------------------------------------------------------------------------------

/**
 * The contract, checked on `done` lines alone (one run or one watch rerun): each expected file reported
 * once, on the clone of its VITEST_POOL_ID, every pool id within the plan, one run id, no two files on one
 * database at the same time.
 */
export function doneProblems(done, { prefix, files, planned }) {
  const p = []
  const byFile = new Map()
  for (const d of done) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  for (const f of files) {
    const n = byFile.get(f)?.length ?? 0
    if (n !== 1) p.push(`${f} reported ${n} results, expected 1`)
  }
  for (const f of byFile.keys()) if (!files.includes(f)) p.push(`${f} ran, but was not expected in this run`)
  const runIds = new Set(done.map((d) => d.runId))
  if (runIds.size > 1) p.push(`results from several runs: ${[...runIds].join(', ')}`)
  const runId = [...runIds][0]
  for (const d of done) {
    const id = Number(d.poolId)
    const expected = `${prefix}_${runId}_${d.poolId}`
    if (!Number.isInteger(id) || id < 1 || id > planned) p.push(`${d.file}: VITEST_POOL_ID ${d.poolId} outside 1..${planned} (planned clones)`)
    if (d.database !== expected) p.push(`${d.file}: on database ${d.database}, expected ${expected}`)
    if (d.database !== d.assigned) p.push(`${d.file}: on ${d.database}, but the manifest assigns ${d.assigned} to pool id ${d.poolId}`)
    if (d.database !== d.wdbDatabase) p.push(`${d.file}: getWorkerDatabase() says ${d.wdbDatabase}, connected to ${d.database}`)
    if (!d.locked) p.push(`${d.file}: pg_try_advisory_lock(4242) was false on ${d.database}: another file held it`)
    if (d.clones < planned) p.push(`${d.file}: manifest lists ${d.clones} clones, the plan said ${planned}`)
    if (d.provided !== undefined && (d.provided?.runId !== d.runId || d.provided?.database !== d.database)) {
      p.push(`${d.file}: inject('workerdb') gave ${JSON.stringify(d.provided)}, expected run ${d.runId} and ${d.database}`)
    }
  }
  p.push(...overlaps(done))
  return p
}

/** Pairs of files that held one database at the same time (either framework). */
export function overlaps(done) {
  const p = []
  const sorted = [...done].sort((a, b) => a.start - b.start)
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i], b = sorted[j]
      if (a.database === b.database && b.start < a.end) {
        p.push(`${a.file} [${a.start}–${a.end}] and ${b.file} [${b.start}–${b.end}] overlapped on ${a.database}`)
      }
    }
  }
  return p
}

/**
 * Every way a run can break the contract, as readable lines (empty = all good): the run passed with every
 * expected file (`o.files`, default all of the project's), each on its slot's clone, nothing left running.
 */
export function isolationProblems(project, r, o = {}) {
  const files = o.files ?? project.files
  const p = []
  if (r.code !== 0) p.push(`vitest exited with ${r.code ?? r.signal}`)
  if (!r.report) p.push('no JSON report')
  else {
    if (r.report.numFailedTests !== 0) p.push(`${r.report.numFailedTests} failed tests`)
    if (r.report.numPassedTests !== files.length) p.push(`${r.report.numPassedTests} passed tests, expected ${files.length}`)
  }
  if (!r.planned) p.push('no "workerdb · plan: N clones (…)" line on stderr')
  if (r.leftovers.length) p.push(`processes of the run were still alive after vitest exited: ${r.leftovers.join('; ')}`)
  const planned = r.planned?.count ?? 0
  p.push(...doneProblems(r.done, { prefix: project.prefix, files, planned }))
  for (const d of r.done) {
    if (d.clones !== planned) p.push(`${d.file}: manifest lists ${d.clones} clones, stderr planned ${planned}`)
    if (d.manifest && existsSync(d.manifest)) p.push(`the run's manifest ${d.manifest} was left behind`)
  }
  return [...new Set(p)]
}

// ---------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------

export async function adminQuery(sql, params = [], url = serverUrl()) {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query(sql, params)).rows
  } finally {
    await client.end().catch(() => {})
  }
}

export async function databasesWithPrefix(prefix, url = serverUrl()) {
  const rows = await adminQuery(`select datname from pg_database where datname like $1 order by datname`, [`${prefix}\\_%`], url)
  return rows.map((r) => r.datname)
}

/** Databases of this prefix other than templates: what a finished run must not leave behind. */
export async function leftoverClones(prefix, url = serverUrl()) {
  return (await databasesWithPrefix(prefix, url)).filter((d) => !d.startsWith(`${prefix}_tpl_`))
}

/** Roles named `prefix_…` (per-worker roles, and any a scenario made itself). */
export async function rolesWithPrefix(prefix, url = serverUrl()) {
  const rows = await adminQuery(`select rolname from pg_roles where starts_with(rolname, $1) order by rolname`, [`${prefix}_`], url)
  return rows.map((r) => r.rolname)
}

/** Drops everything with this prefix (templates included), then its roles: the server is left as we found it. */
export async function dropPrefix(prefix, url = serverUrl()) {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new Error(`refusing to drop databases for prefix ${prefix}`)
  for (const name of await databasesWithPrefix(prefix, url)) await dropDatabase(name, url)
  for (const name of await rolesWithPrefix(prefix, url)) await dropRole(name, url)
}

/** After the databases it had objects in: what it owns or was granted in the admin database goes first. */
export async function dropRole(name, url = serverUrl()) {
  const q = `"${name.replace(/"/g, '""')}"`
  await adminQuery(`drop owned by ${q}`, [], url).catch(() => {})
  await adminQuery(`drop role if exists ${q}`, [], url)
}

export async function dropDatabase(name, url = serverUrl()) {
  const q = `"${name.replace(/"/g, '""')}"`
  await adminQuery(`alter database ${q} with is_template false allow_connections true`, [], url).catch(() => {})
  await adminQuery(`drop database if exists ${q} with (force)`, [], url)
}

const STALE_MS = 60 * 60 * 1000

/** Scenario dirs and e2e databases older than an hour: left by an e2e run that was killed. */
export async function sweepStale(url = serverUrl()) {
  await sweepStaleIn(MAJORS.map(runsDir), url)
}

/** The same for any harness: scenario dirs in these run folders, then every e2e database (one shared prefix start). */
export async function sweepStaleIn(runFolders, url = serverUrl()) {
  for (const runs of runFolders) {
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

/**
 * e2e databases (ours by prefix AND workerdb's marker) created over an hour ago. E2E_PREFIX_START is
 * shared by every e2e harness (the Jest one's prefixes start `e2j`), so one sweep serves them all.
 */
export async function sweepStaleDatabases(url = serverUrl()) {
  const rows = await adminQuery(
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
  // Per-worker roles of e2e runs (marked as workerdb's), after the databases they were granted.
  const roles = await adminQuery(
    `select rolname, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname ~ $1`,
    [`^${E2E_PREFIX_START}[a-z0-9]{1,10}_`], url)
  for (const { rolname, comment } of roles) {
    let createdAt = NaN
    try {
      const marker = JSON.parse(comment ?? '')
      if (marker?.tool === 'workerdb') createdAt = Date.parse(marker.createdAt)
    } catch {
      // no workerdb marker: not ours
    }
    if (Date.now() - createdAt > STALE_MS) await dropRole(rolname, url)
  }
}

/** True when nothing accepts TCP connections on 127.0.0.1:port. */
export function portRefuses(port, host = '127.0.0.1') {
  return new Promise((res) => {
    const s = net.connect({ port, host })
    s.setTimeout(2000)
    s.once('connect', () => { s.destroy(); res(false) })
    s.once('timeout', () => { s.destroy(); res(false) })
    s.once('error', () => res(true))
  })
}
