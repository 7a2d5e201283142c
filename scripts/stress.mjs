#!/usr/bin/env node
/**
 * `pnpm stress`: the seed scenario (2 files, maxWorkers 4) and a 20-file scenario, for each Vitest and Jest
 * major of e2e/fixtures, and Playwright's seed and restart scenarios (e2e/support/playwright.ts) for each
 * Playwright fixture, and the seed scenario on MariaDB and SQLite under Vitest 4 and Jest 30 (as
 * e2e/test/dialects.test.ts runs it: e2e/support/dialect/scenario.ts), N times each (default 200). The bug
 * class workerdb exists for shows up only now and then (which worker ids a run gets varies), so only many
 * runs say anything. Same scenarios and the same
 * checks as the e2e suite (e2e/support/vitest/, e2e/support/jest/): every file passed, on
 * the clone of its VITEST_POOL_ID / JEST_WORKER_ID, never two files on one database at once, nothing left
 * running, no clone left on the server, the template reused after the first run; for Jest also what
 * jest-seed.test.ts checks: the planned clone count, and every run cold (timing cache forgotten) and so on
 * worker processes, never in band. Prints failures per row and a summary table; exits 1 if any run failed.
 *
 *   node scripts/stress.mjs [--runs N] [--rows vitest4-seed,jest30-20files,…] [--env KEY=VALUE …] [--record FILE]
 *
 * At the end it writes its record (rows, runs per row, failures, commit, date, duration, machine load) to
 * scripts/stress-results.json — committed, and quoted by docs/fidelity.md, which it re-renders then
 * (scripts/stress-record.mjs) — or to FILE / WORKERDB_STRESS_RECORD instead (then docs/fidelity.md is left alone).
 *
 * Server: WORKERDB_TEST_URL or WORKERDB_URL; without either, an embedded PostgreSQL for the whole stress run.
 * The MariaDB rows run against WORKERDB_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306), the SQLite rows
 * against a temporary directory each row makes and removes; on those rows WORKERDB_URL is the row's server,
 * whatever --env says.
 * Full output of each failed run: e2e/.results/stress/<row>-<run>.log.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJiti } from 'jiti'
import { DEFAULT_RECORD, machineNow, makeRecord, renderIntoReadme, writeRecord } from './stress-record.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ROWS = {}
const SCENARIOS = [
  { name: 'seed', files: 2, holdMs: 80, clones: 2, label: 'seed (2 files, maxWorkers 4)', short: 'seed' },
  { name: '20files', files: 20, holdMs: 20, clones: 4, label: '20 files, maxWorkers 4', short: '20 files' },
]
for (const framework of ['vitest', 'jest']) {
  for (const major of framework === 'vitest' ? [3, 4, 5] : [29, 30]) {
    for (const { name, ...sc } of SCENARIOS) {
      ROWS[`${framework}${major}-${name}`] = {
        framework, major, ...sc,
        // Jest has one pool (child processes); its preset sets nothing the scenario needs besides maxWorkers.
        config: framework === 'vitest' ? { pool: 'forks', maxWorkers: 4 } : { maxWorkers: 4 },
      }
    }
  }
}

// Playwright: the seed scenario (2 spec files, workers: 4) and the restart scenario (a failing test replaces
// its worker, whose replacement must get the same clone, emptied), for each fixture version.
for (const fixture of ['playwright165', 'playwright160']) {
  ROWS[`${fixture}-seed`] = { framework: 'playwright', fixture, scenario: 'SEED', label: 'seed (2 spec files, workers 4)', short: 'seed' }
  ROWS[`${fixture}-restart`] = { framework: 'playwright', fixture, scenario: 'RESTART', label: 'a failing test restarts its worker (workers 2)', short: 'restart' }
}

// MariaDB and SQLite: the seed scenario of e2e/test/dialects.test.ts (a portable seed migration, test files
// that talk to the kind with its own driver), on the kind's server, for Vitest 4 and Jest 30.
const KINDS = { mariadb: 'MariaDB', sqlite: 'SQLite' }
for (const [kind, kindLabel] of Object.entries(KINDS)) {
  for (const [framework, major] of [['vitest', 4], ['jest', 30]]) {
    ROWS[`${framework}${major}-${kind}-seed`] = {
      framework, major, kind, files: 2, holdMs: 80, clones: 2,
      label: `seed on ${kindLabel} (2 files, maxWorkers 4)`, short: `${kindLabel} seed`,
      config: framework === 'vitest' ? { pool: 'forks', maxWorkers: 4 } : { maxWorkers: 4 },
    }
  }
}

function usage(code) {
  process.stdout.write(`usage: node scripts/stress.mjs [--runs N] [--rows ${Object.keys(ROWS).join(',')}] [--env KEY=VALUE]… [--record FILE]\n`)
  process.exit(code)
}

function parseArgs(argv) {
  const o = { runs: 200, rows: Object.keys(ROWS), env: {}, record: process.env.WORKERDB_STRESS_RECORD ? resolve(process.env.WORKERDB_STRESS_RECORD) : DEFAULT_RECORD }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const eq = a.indexOf('=')
      if (eq > 0) return a.slice(eq + 1)
      if (i + 1 >= argv.length) usage(2)
      return argv[++i]
    }
    if (a === '--help' || a === '-h') usage(0)
    else if (a.startsWith('--runs')) {
      o.runs = Number(value())
      if (!Number.isInteger(o.runs) || o.runs < 1) { process.stderr.write('--runs must be a positive integer\n'); usage(2) }
    } else if (a.startsWith('--rows')) {
      o.rows = value().split(',').map((r) => r.trim()).filter(Boolean)
      const unknown = o.rows.filter((r) => !ROWS[r])
      if (unknown.length || !o.rows.length) { process.stderr.write(`unknown row(s): ${unknown.join(', ')}\n`); usage(2) }
    } else if (a.startsWith('--record')) {
      o.record = resolve(value())
    } else if (a.startsWith('--env')) {
      const kv = value()
      const eq = kv.indexOf('=')
      if (eq < 1) { process.stderr.write(`--env takes KEY=VALUE, not ${kv}\n`); usage(2) }
      o.env[kv.slice(0, eq)] = kv.slice(eq + 1)
    } else {
      process.stderr.write(`unknown argument ${a}\n`)
      usage(2)
    }
  }
  return o
}

/** The test server: the one given, or an embedded one for this process (test-support/server.ts, via jiti). */
async function ensureServer() {
  if (process.env.WORKERDB_TEST_URL) return undefined
  if (process.env.WORKERDB_URL) {
    process.env.WORKERDB_TEST_URL = process.env.WORKERDB_URL
    return undefined
  }
  const { default: start } = await jiti.import('../test-support/server.ts')
  const stop = await start()
  process.stdout.write(`stress · embedded PostgreSQL at ${process.env.WORKERDB_TEST_URL}\n`)
  return stop
}

/** The test support is TypeScript, as the tests load it: jiti loads it here. */
const jiti = createJiti(import.meta.url)
const o = parseArgs(process.argv.slice(2))
const startedAt = new Date()
const { gitState, recordMatrix } = await jiti.import('../test-support/matrix.ts')
const git = gitState()
const loadAtStart = machineNow().load
const stopServer = await ensureServer()
// The e2e scenarios, loaded after the server is known.
const s = await jiti.import('../e2e/support/vitest/index.ts')
const j = await jiti.import('../e2e/support/jest/index.ts')
const p = await jiti.import('../e2e/support/playwright.ts')
const { adminQuery, dropDatabase, dropPrefix, leftoverClones } = await jiti.import('../test-support/pg.ts')
const { killAll } = await jiti.import('../test-support/processes.ts')
const { E2E_DIR, removeScenario } = await jiti.import('../e2e/support/scenario.ts')
const dialect = await jiti.import('../e2e/support/dialect/scenario.ts')
const logDir = join(E2E_DIR, '.results', 'stress')

/**
 * Where a row's databases are: the PostgreSQL test server, or for a MariaDB / SQLite row the kind's server
 * (dialect/scenario.ts: MariaDB at WORKERDB_TEST_MYSQL_URL, SQLite in a temporary directory made here and
 * removed by close()), with the WORKERDB_URL that points a run at it.
 */
function serverFor(row) {
  if (!row.kind) return { env: {}, leftoverClones, drop: dropDatabase, dropPrefix, close() {} }
  const kind = row.kind === 'mariadb' ? dialect.mysqlServer() : dialect.sqliteServer()
  return {
    env: { WORKERDB_URL: kind.url },
    describe: () => kind.describe(),
    leftoverClones: (prefix) => kind.leftoverClones(prefix),
    drop: (name) => kind.drop(name),
    dropPrefix: (prefix) => kind.dropPrefix(prefix),
    close: () => kind.close(),
  }
}

/**
 * One framework's way of making, running and checking a scenario, so that one loop below serves both: the
 * two harnesses differ in their project options, run results and checks, not in what a stress row does.
 * `env`: the row's server (a dialect row's WORKERDB_URL) over --env.
 */
function runnerFor(row, env) {
  if (row.framework === 'playwright') {
    const version = p.playwrightVersion(row.fixture)
    const scenario = p[row.scenario]
    return {
      version,
      pool: 'workers',
      make: () => {
        const made = p.writeScenario(row.fixture, `stress-${row.short}`, scenario.specs(), scenario.config, { prefix: s.uniquePrefix('stp') })
        return { ...made, remove: () => removeScenario(made.dir) }
      },
      run: async (project) => {
        rmSync(project.results, { force: true })
        const r = await p.runPlaywright(row.fixture, project, [], env)
        return { r: { ...r, stderr: r.output }, problems: scenario.problems(project, r, version), ids: r.lines.map((l) => l.parallelIndex + 1) }
      },
      describeRun: (r) => r.output,
    }
  }
  if (row.framework === 'vitest') {
    return {
      version: s.VITEST_VERSIONS[row.major],
      pool: row.config.pool,
      make: () => s.makeProject({
        vitest: row.major, files: row.files, holdMs: row.holdMs, config: row.config,
        // `sm`/`ss`: MariaDB / SQLite rows, told apart from the PostgreSQL ones (`st`).
        prefix: s.uniquePrefix(`${row.kind ? `s${row.kind[0]}` : 'st'}${row.major}`),
        ...(row.kind ? { extraFiles: dialect.dialectFiles('mjs', row.holdMs, row.files) } : {}),
      }),
      run: async (project) => {
        const r = await s.runVitest(project, { timeoutMs: 120_000, env })
        return { r, problems: s.isolationProblems(project, r), ids: r.done.map((d) => d.poolId) }
      },
      describeRun: s.describeRun,
    }
  }
  return {
    version: j.JEST_VERSIONS[row.major],
    pool: 'workers',
    // `z`: a tag no Jest e2e test uses, so a stress run's databases are told apart from the suite's (`zm`, `zs`:
    // MariaDB, SQLite; the major's last digit, within the tag's 3 characters).
    make: () => j.makeProject({
      jest: row.major, files: row.files, holdMs: row.holdMs, config: row.config,
      tag: row.kind ? `z${row.kind[0]}${String(row.major).slice(-1)}` : `z${row.major}`,
      ...(row.kind ? { extraFiles: dialect.dialectFiles('js', row.holdMs, row.files) } : {}),
    }),
    run: async (project) => {
      // Cold every time, as in jest-seed.test.ts: a warm timing cache would (rightly) flip these fast files
      // to in band, and a run in band never exercises the worker ids workerdb has to match.
      project.forgetTimings()
      const r = await j.runJest(project, { timeoutMs: 120_000, env })
      const problems = j.isolationProblems(project, r)
      if (r.planned && r.planned.count !== row.clones) problems.push(`planned ${r.planned.count} clones, expected ${row.clones}`)
      if (r.ran?.inBand) problems.push('jest ran the files in band: the run did not exercise its workers')
      return { r, problems, ids: r.done.map((d) => d.workerId) }
    },
    describeRun: j.describeRun,
  }
}

async function stressRow(name) {
  const row = ROWS[name]
  const rowServer = serverFor(row)
  const runner = runnerFor(row, { ...o.env, ...rowServer.env })
  const { version } = runner
  let project
  try {
    project = runner.make()
  } catch (err) {
    rowServer.close()
    throw err
  }
  const failures = []
  const poolIds = new Map()
  const started = performance.now()
  // The prefix is printed so that a caller (e2e/test/vitest-stress.test.ts) can check exactly these
  // databases are gone, whatever else runs against the same server.
  process.stdout.write(`\n${name} (${row.framework} ${version}, ${row.label}, prefix ${project.prefix}): ${o.runs} runs\n`)
  try {
    for (let i = 1; i <= o.runs; i++) {
      let problems
      let r
      try {
        const run = await runner.run(project)
        r = run.r
        problems = run.problems
        const left = await rowServer.leftoverClones(project.prefix)
        if (left.length) {
          problems.push(`clones left on the server after the run: ${left.join(', ')}`)
          for (const db of left) await rowServer.drop(db) // the next run starts from the same state
        }
        if (i > 1 && !/workerdb · template \w+: reused/.test(r.stderr)) problems.push('the template was not reused')
        for (const id of run.ids) poolIds.set(id, (poolIds.get(id) ?? 0) + 1)
      } catch (err) {
        problems = [`the run itself failed: ${err.message.split('\n')[0]}`]
      }
      if (problems.length) {
        mkdirSync(logDir, { recursive: true })
        const log = join(logDir, `${name}-${i}.log`)
        writeFileSync(log, `${problems.join('\n')}\n\n${r ? runner.describeRun(r) : ''}`)
        failures.push({ run: i, problems, log })
      }
      process.stdout.write(problems.length ? 'F' : '.')
      if (i % 50 === 0 || i === o.runs) process.stdout.write(` ${i}/${o.runs}\n`)
    }
  } finally {
    await rowServer.dropPrefix(project.prefix).catch((err) => process.stderr.write(`could not drop ${project.prefix}_*: ${err.message}\n`))
    project.remove()
    rowServer.close()
  }
  const msPerRun = Math.round((performance.now() - started) / o.runs)
  for (const f of failures.slice(0, 5)) {
    process.stdout.write(`  ✗ run ${f.run}: ${f.problems.slice(0, 4).join('; ')}${f.problems.length > 4 ? ` (+${f.problems.length - 4})` : ''}\n    ${relative(process.cwd(), f.log)}\n`)
  }
  if (failures.length > 5) process.stdout.write(`  … and ${failures.length - 5} more failed runs (logs in ${relative(process.cwd(), logDir)})\n`)
  const ids = [...poolIds].sort((a, b) => Number(a[0]) - Number(b[0])).map(([id, n]) => `${id}×${n}`).join(' ')
  recordMatrix({
    framework: row.framework, version, pool: runner.pool, mode: 'stress', scenario: `${row.short} ×${o.runs}`,
    result: failures.length ? 'fail' : 'pass', detail: `${failures.length}/${o.runs} failed`,
  })
  return {
    name, framework: row.framework, version, label: row.label, runs: o.runs, failed: failures.length, ids, msPerRun,
    ...(failures.length ? { failures: failures.slice(0, 5).map((f) => ({ run: f.run, problems: f.problems.slice(0, 4) })) } : {}),
  }
}

/** The PostgreSQL server, for the record: its version and where it listens (never its credentials). */
async function describePostgres() {
  try {
    const [{ server_version: v }] = await adminQuery('show server_version')
    const u = new URL(process.env.WORKERDB_TEST_URL)
    return `PostgreSQL ${v.split(' ')[0]} ${stopServer ? '(embedded)' : `at ${u.hostname}:${u.port || 5432}`}`
  } catch {
    return 'PostgreSQL (version unknown)'
  }
}

/** The servers the rows ran on, for the record: PostgreSQL first, then MariaDB and SQLite for their rows. */
async function describeServer() {
  const kinds = new Set(o.rows.map((name) => ROWS[name].kind ?? 'postgres'))
  const found = []
  if (kinds.has('postgres')) found.push(await describePostgres())
  for (const kind of ['mariadb', 'sqlite']) {
    if (!kinds.has(kind)) continue
    const k = serverFor(ROWS[o.rows.find((name) => ROWS[name].kind === kind)])
    try {
      found.push(await k.describe().catch(() => `${KINDS[kind]} (version unknown)`))
    } finally {
      k.close()
    }
  }
  return found.join(', ')
}

const results = []
let exitCode = 0
let aborted
const server = await describeServer()
try {
  for (const name of o.rows) results.push(await stressRow(name))
} catch (err) {
  process.stderr.write(`stress aborted: ${err.stack ?? err}\n`)
  aborted = String(err?.message ?? err).split('\n')[0].slice(0, 200)
  exitCode = 2
} finally {
  killAll()
  await stopServer?.()
}

const record = makeRecord({
  startedAt, finishedAt: new Date(), git, runsPerRow: o.runs, rows: results, aborted,
  machine: { cpus: machineNow().cpus, node: process.versions.node, platform: `${process.platform}-${process.arch}`, server, loadAtStart, loadAtEnd: machineNow().load },
})
writeRecord(o.record, record)
process.stdout.write(`\nstress: record written to ${relative(process.cwd(), o.record)}\n`)
if (o.record === DEFAULT_RECORD) renderIntoReadme(o.record)

const table = [
  ['row', 'version', 'runs', 'failed', 'worker ids used (id×files)', 'ms/run'],
  ...results.map((r) => [r.name, r.version, String(r.runs), String(r.failed), r.ids || '-', String(r.msPerRun)]),
]
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)))
process.stdout.write(`\n${table.map((row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`).join('\n')}\n`)
const failed = results.reduce((n, r) => n + r.failed, 0)
const total = results.reduce((n, r) => n + r.runs, 0)
process.stdout.write(`\nstress: ${total} runs, ${failed} failed\n`)
process.exit(exitCode || (failed ? 1 : 0))
