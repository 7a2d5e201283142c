#!/usr/bin/env node
/**
 * `pnpm bench` (or `npm run bench`) — what provisioning costs, measured side by side in one run on two
 * servers: the embedded PostgreSQL this bench starts (fsync off, RAM disk: what the zero-config default
 * gets) and a server given by URL (WORKERDB_URL or --url, else the machine's PostgreSQL at 127.0.0.1:5432
 * when it answers: fsync on, the kind of server a CI service container gives); the mysql and sqlite rows
 * measure the other kinds, on a MariaDB server and in a directory of SQLite files. Every figure names its
 * server and its work. Rows (medians of --reps, contenders interleaved so that drift hits all alike):
 *
 *   config      finding and loading workerdb.config.* in a fresh process, per form (.json, .cjs, .mjs, .js in
 *               a CommonJS and in an ESM package, .ts bundled by esbuild); no server
 *   strategy    per clone of the 50-table template: CREATE DATABASE with WAL_LOG vs FILE_COPY, one alone
 *               and 4 at once, the DROP that follows each, and a bare CHECKPOINT (FILE_COPY takes two)
 *   fsync       what durability costs: two more embedded servers with their data on disk, one with fsync,
 *               full_page_writes and synchronous_commit on, one with them off; the template's migration and
 *               4 clones (create + drop, the faster strategy on each) on both and on the embedded server on
 *               the RAM disk, reps interleaved
 *   cold        template build + N clones vs the floor: one raw migration + N raw concurrent clones with
 *               the faster of the two strategies on that server (both measured)
 *   naive       each of N workers creates and migrates its own database, concurrently: with raw SQL files
 *               and with Knex's migrator, each against workerdb migrating the same way
 *   warm        K consecutive runs with and without spares, handing drops and unmade spares to a background
 *               process as the test runners do: each run's start (provision), end (what teardown waits for)
 *               and the background work after it (awaited before the next run, timed apart), and the totals
 *   suite       an 8-file Vitest suite doing a fixed amount of real work on the 50-table schema: serial on one
 *               database, 2 workers with workerdb (with and without spares), 2 workers on hand-made databases
 *   jest        the same suite's work as a Jest 30 suite: in band on one database, 2 workers with workerdb,
 *               2 workers on hand-made databases (Jest's timing cache cleared before each run, so none is
 *               flipped to in band)
 *   reset       `reset: { truncate: true, per: 'test' }` on the 50-table schema, per test: the beforeEach it
 *               registers when the test wrote nothing and when it wrote one table, against what a project
 *               writes itself (TRUNCATE of every table in beforeEach) and the per-file path (a fresh
 *               connection + the check), and useTransaction's BEGIN + ROLLBACK; timed in this process over the
 *               worker code the setup files run. Also on the mysql row's MariaDB and in the sqlite row's
 *               directory, on their 50-table schema: the project's own way there is a TRUNCATE per table with
 *               foreign key checks off (MariaDB), DELETE of every table and of sqlite_sequence in one
 *               transaction (SQLite); useTransaction on their drivers (mysql2, better-sqlite3)
 *   zeroconfig  the same suite as a real zero-config `vitest run`: no server in the config, no WORKERDB_URL,
 *               so workerdb starts, fills and stops its own embedded server inside the run
 *   overhead    a no-DB Vitest suite with and without the plugin: per test file and per run (embedded only)
 *   scaling     provisioning time and peak RSS for N = 1…16 (embedded only)
 *   mysql       MariaDB at --mysql-url (WORKERDB_TEST_MYSQL_URL, else mysql://root@127.0.0.1:3306; the row is skipped,
 *               with the reason recorded, when nothing answers there), and MySQL in a container the bench starts
 *               of --mysql-image (WORKERDB_TEST_MYSQL_IMAGE, else workerdb/mysql:sid-local; its own mysqldump and
 *               mysql run in it, over its socket; skipped with the reason without Docker or the image), and MariaDB
 *               and MySQL in containers as workerdb starts them for `dialect: 'mysql'` with no URL (own-mariadb,
 *               own-mysql: server/testcontainers.ts's fast settings and data dir in memory; images --mariadb-image,
 *               else WORKERDB_TEST_MARIADB_IMAGE or workerdb/mariadb:10.11-local, and --mysql-image): the 50-table schema with 49 foreign keys
 *               (each table's rows point at the one before) as a template, built and sealed as workerdb does; then
 *               per rep, interleaved: one clone alone and 4 at once by workerdb's copy (engine/clones.ts over
 *               catalog/mysql: the template's definitions, read once per run, replayed, then INSERT … SELECT per
 *               table) against `mysqldump --single-transaction --skip-lock-tables --routines --events | mysql`
 *               into a database made for it (Django's way of cloning a MySQL test database, in its best form),
 *               one and 4 pipelines at once; workerdb's drop of its clones (teardown's dropClones); InnoDB's
 *               fsyncs per clone and, on a local server, the CPU the server, the bench (with its clients) and the
 *               whole machine used during each; the ratio of each rep too, to show how far the load moved it
 *   sqlite      SQLite in a directory under --sqlite-dir (default the OS temp dir; its file system and whether it
 *               has reflinks are recorded): the same 50 tables and rows as a template built by workerdb's SQLite
 *               session (better-sqlite3) and sealed as workerdb seals it; per rep, 4 clones by workerdb's copy
 *               (engine/clones.ts over the session's copy, markers included; timed 5 times a rep, the rep's figure
 *               their median, as the copy by hand) and their drop, against what a user does by hand: the
 *               migrations run into 4 fresh files (in 4 worker threads already started, and one after another in
 *               one thread: the faster is the baseline), and fs.copyFile of a template file the user keeps into 4
 *               files (the same work as ours: the difference is workerdb's overhead); a `sync` (untimed) before
 *               each contender, so none pays for writing back the files of the one before
 *
 * Every row's result is written to --out (default bench/results/latest.json) as soon as it is measured,
 * so a run cut short keeps what it measured; at the end docs/performance.md is rendered from
 * it (bench/render.mjs). Flags: --reps N (3) · --only rows · --servers embedded,url (add `container`, measured
 * on the cold and warm rows: a PostgreSQL container the bench starts with testcontainers, --image NAME, default WORKERDB_TESTCONTAINERS_IMAGE
 * or the local image of scripts/db-image.mjs; the package comes from e2e/fixtures/testcontainers) · --url URL ·
 * --ns 2,4 · --k 4 · --suite-tx 40 · --overhead-files 8,32 · --budget SECONDS (550: each row on each server
 * gets a weighted share of what is left and stops after the rep under way once past it; a row that would
 * start past the budget is skipped, and 30 s past it the row under way is cut; the record says which) ·
 * --run-timeout SECONDS (180, per child run) · --mysql-url URL · --mysql-image NAME · --mariadb-image NAME · --sqlite-dir DIR · --out FILE · --update (keep the
 * record at --out, replacing only the rows measured now; the record lists such updates, each with the rows still
 * its own) · --no-readme · --json · --loud
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createJiti } from 'jiti'
import { renderToReadme } from './render.mjs'
import { mysqlSessionSql, mysqlTableSql } from './mysql-schema.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The test support and core's sources are TypeScript: jiti loads them here, as Vitest does for the tests. */
const jiti = createJiti(import.meta.url)
const { awaitDropperPids, killAll, killGroup, track } = await jiti.import('../test-support/processes.ts')
const { quoteIdent: q } = await jiti.import('../packages/core/src/catalog/names.ts')
const core = await import(join(root, 'packages/core/dist/runner.js'))

const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}
const JSON_OUT = args.includes('--json')
const UPDATE = args.includes('--update')
const LOUD = args.includes('--loud')
const REPS = Number(flag('reps', 3))
// In the order they run: the costliest to cut short on a busy machine come before the ones that adapt.
const ALL_ROWS = ['config', 'strategy', 'fsync', 'cold', 'suite', 'jest', 'reset', 'zeroconfig', 'warm', 'naive', 'scaling', 'overhead', 'mysql', 'sqlite']
/** Rows measured on no PostgreSQL server: a run of only these starts none. */
const NOT_PG_ROWS = ['config', 'mysql', 'sqlite']
const ONLY = flag('only', ALL_ROWS.join(',')).split(',')
const NS = flag('ns', '2,4').split(',').map(Number)
const K = Number(flag('k', 4))
const BUDGET_MS = Number(flag('budget', 550)) * 1000
// Past the budget by this much, the row under way is cut: its child runs are ended and it is recorded as cut.
const HARD_MS = BUDGET_MS + 30_000
const RUN_TIMEOUT_MS = Number(flag('run-timeout', 180)) * 1000
const OUT = flag('out', join(root, 'bench', 'results', 'latest.json'))
const SUITE_FILES = 8
const SUITE_TX = Number(flag('suite-tx', 40))
const QUERIES_PER_TX = 5
const say = (line) => { if (!JSON_OUT) process.stderr.write(line + '\n') }
const started = Date.now()
const elapsed = () => Date.now() - started

// This run's own names: every database the bench makes starts with one of these, and only those are dropped.
const TAG = (Date.now().toString(36) + process.pid.toString(36)).slice(-6).replace(/[^a-z0-9]/g, 'x')
const PREFIX = `wdbb${TAG}` // workerdb prefix (≤ 12 letters/digits)
const FLOOR = `bfl_${TAG}_`
const NAIVE = `bnv_${TAG}_`

// ── the schema: 50 tables with indexes and seed rows, in 5 migration files ─────────────────────────────
function migrationSql() {
  const files = []
  for (let f = 0; f < 5; f++) {
    const parts = []
    for (let t = f * 10; t < f * 10 + 10; t++) {
      const ref = t > 0 ? `, parent_id bigint references t${t - 1}(id)` : ''
      parts.push(`create table t${t} (id bigint generated always as identity primary key, name text not null, email text, amount numeric(12,2) not null default 0, status text not null default 'new', created_at timestamptz not null default now()${ref});`)
      parts.push(`create index t${t}_name_idx on t${t} (name);`)
      parts.push(`create index t${t}_status_created_idx on t${t} (status, created_at);`)
      parts.push(`insert into t${t} (name, email, amount) select 'row ' || g, 'u' || g || '@example.test', g % 1000 from generate_series(1, 2000) g;`)
    }
    files.push(parts.join('\n'))
  }
  return files
}
const SCHEMA = '50 tables, 2 indexes and 2,000 seed rows each, in 5 migrations'

function writeSqlMigrations(dir) {
  mkdirSync(dir, { recursive: true })
  migrationSql().forEach((sql, f) => writeFileSync(join(dir, `${String(f + 1).padStart(4, '0')}_tables.sql`), sql))
}

/** The same 5 migrations as Knex migration files (knex.raw of the same SQL: the tool's own work on top). */
function writeKnexMigrations(dir) {
  mkdirSync(dir, { recursive: true })
  migrationSql().forEach((sql, f) => writeFileSync(join(dir, `${String(f + 1).padStart(4, '0')}_tables.js`),
    `exports.up = (knex) => knex.raw(${JSON.stringify(sql)})\nexports.down = () => {}\n`))
}

/** Knex as the workspace has it (examples/jest-knex): the bench adds no dependency of its own. */
function knexPackageDir() {
  try {
    return dirname(realpathSync(createRequire(join(root, 'examples', 'jest-knex', 'package.json')).resolve('knex/package.json')))
  } catch {
    return undefined
  }
}

/** Least squares y = intercept + slope·x, with r². */
export function linearFit(points) {
  const n = points.length
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  const syy = points.reduce((a, [, y]) => a + (y - my) ** 2, 0)
  const slope = sxy / sxx
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const r0 = (x) => Math.round(x)
const r1 = (x) => +x.toFixed(1)
const r2 = (x) => +x.toFixed(2)
/** Figures of a few microseconds (a clean reset on SQLite, a transaction there). */
const r3 = (x) => +x.toFixed(3)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function client(url) {
  const c = new pg.Client({ connectionString: url })
  c.on('error', () => {})
  await c.connect()
  return c
}

function withDb(url, db) {
  const u = new URL(url)
  u.pathname = '/' + db
  return u.toString()
}

/** Drops only names of this run (its prefixes). */
function ours(name) {
  return name.startsWith(PREFIX) || name.startsWith(FLOOR) || name.startsWith(NAIVE)
}

async function dropDbs(adminUrl, names) {
  const c = await client(adminUrl)
  try {
    for (const n of names) {
      if (!ours(n)) throw new Error(`bench: refusing to drop ${n}, not a database of this bench run`)
      await c.query(`alter database ${q(n)} with is_template false`).catch(() => {})
      await c.query(`drop database if exists ${q(n)} with (force)`)
    }
  } finally {
    await c.end()
  }
}

async function dropOurs(adminUrl, start = '') {
  const c = await client(adminUrl)
  const { rows } = await c.query('select datname from pg_database')
  await c.end()
  await dropDbs(adminUrl, rows.map((r) => r.datname).filter((n) => ours(n) && n.startsWith(start)))
}

async function runSql(url, sqls) {
  const c = await client(url)
  try {
    for (const sql of sqls) {
      await c.query('begin')
      await c.query(sql)
      await c.query('commit')
    }
  } finally {
    await c.end()
  }
}

async function createDb(adminUrl, name, template, strategy) {
  const c = await client(adminUrl)
  try {
    await c.query(`create database ${q(name)}${template ? ` template ${q(template)}` : ''}${strategy ? ` strategy ${strategy}` : ''}`)
  } finally {
    await c.end()
  }
}

async function timed(f) {
  const t0 = performance.now()
  await f()
  return performance.now() - t0
}

// ── child processes: each in its own process group, ended as a group on timeout, failure or exit ────────
// The registry is test-support/processes.ts's, the one the tests use: killAll() ends every group still there.

function runChild(cmd, argv, { cwd, env, timeoutMs = RUN_TIMEOUT_MS }) {
  if (cut || interrupted) return Promise.resolve({ code: null, signal: 'SIGKILL', out: 'not started: the bench is ending', timedOut: false })
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const keep = (d) => { out = (out + d).slice(-20_000) }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    track(child.pid)
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; killGroup(child.pid) }, timeoutMs)
    child.on('error', (err) => { out += String(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // Whatever the run left in its group (a fork still exiting) goes with it.
      killGroup(child.pid)
      resolve({ code, signal, out, timedOut })
    })
  })
}

// ── config: what finding and loading the config file costs ────────────────────────────────────────────
const CONFIG_BODY = "{ prefix: 'cfgbench', migrate: { sql: './migrations' }, reset: 'truncate' }"
const CONFIG_FORMS = {
  json: { file: 'workerdb.config.json', text: JSON.stringify({ prefix: 'cfgbench', migrate: { sql: './migrations' }, reset: 'truncate' }) },
  cjs: { file: 'workerdb.config.cjs', text: `const { defineConfig } = require('@workerdb/core')\nmodule.exports = defineConfig(${CONFIG_BODY})\n` },
  mjs: { file: 'workerdb.config.mjs', text: `import { defineConfig } from '@workerdb/core'\nexport default defineConfig(${CONFIG_BODY})\n` },
  'js (CommonJS)': { file: 'workerdb.config.js', text: `const { defineConfig } = require('@workerdb/core')\nmodule.exports = defineConfig(${CONFIG_BODY})\n` },
  'js (ESM package)': { file: 'workerdb.config.js', type: 'module', text: `import { defineConfig } from '@workerdb/core'\nexport default defineConfig(${CONFIG_BODY})\n` },
  ts: { file: 'workerdb.config.ts', text: `import { defineConfig, type WorkerDbOptions } from '@workerdb/core'\nconst options: WorkerDbOptions = ${CONFIG_BODY}\nexport default defineConfig(options)\n` },
}

/** One fresh Node process: the ms resolveConfig took there (workerdb already imported, as a runner has it). */
async function configLoadMs(dir) {
  const probe = `const core = await import(${JSON.stringify(join(root, 'packages/core/dist/runner.js'))})
const t0 = performance.now()
await core.resolveConfig({}, process.cwd())
process.stdout.write(String(performance.now() - t0))
`
  const r = await runChild(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, env: cleanEnv({}) })
  if (r.code !== 0) throw new Error(`loading the config in ${dir} failed:\n${r.out.slice(-2000)}`)
  return Number(r.out.trim())
}

async function configRow(work) {
  const forms = {}
  for (const [form, spec] of Object.entries(CONFIG_FORMS)) {
    const dir = join(work, `config-${form.replace(/\W+/g, '-')}`)
    mkdirSync(join(dir, 'node_modules', '@workerdb'), { recursive: true })
    symlinkSync(join(root, 'packages', 'core'), join(dir, 'node_modules', '@workerdb', 'core'), 'dir')
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'config-bench', ...(spec.type ? { type: spec.type } : {}) }))
    writeFileSync(join(dir, spec.file), spec.text)
    forms[form] = dir
  }
  const t = Object.fromEntries(Object.keys(forms).map((form) => [form, []]))
  const more = repsLoop(REPS)
  for (let r = 0; more(r); r++) {
    for (const [form, dir] of Object.entries(forms)) t[form].push(await configLoadMs(dir))
  }
  const loadMs = Object.fromEntries(Object.entries(t).map(([form, v]) => [form, r1(median(v))]))
  return { loadMs, slowest: Object.entries(loadMs).sort((a, b) => b[1] - a[1])[0] }
}

// ── strategy: what a clone costs on this server, by strategy ──────────────────────────────────────────
async function strategyRow(adminUrl) {
  const tpl = `${FLOOR}stpl`
  await createDb(adminUrl, tpl)
  await runSql(withDb(adminUrl, tpl), migrationSql())
  const a = await client(adminUrl)
  const { rows: [{ size }] } = await a.query('select pg_database_size($1)::bigint as size', [tpl])
  await a.end()
  const m = { WAL_LOG: { one: [], oneDrop: [], four: [], fourDrop: [] }, FILE_COPY: { one: [], oneDrop: [], four: [], fourDrop: [] } }
  const checkpoints = []
  try {
    const more = repsLoop(REPS)
    for (let r = 0; more(r); r++) {
      const order = r % 2 ? ['FILE_COPY', 'WAL_LOG'] : ['WAL_LOG', 'FILE_COPY']
      for (const s of order) {
        const c = await client(adminUrl)
        // A bare checkpoint first: each strategy starts from clean buffers, and its cost is a figure of its own.
        checkpoints.push(await timed(() => c.query('checkpoint')))
        const one = `${FLOOR}s1`
        m[s].one.push(await timed(() => c.query(`create database ${q(one)} template ${q(tpl)} strategy ${s}`)))
        m[s].oneDrop.push(await timed(() => c.query(`drop database ${q(one)}`)))
        await c.end()
        const names = [1, 2, 3, 4].map((i) => `${FLOOR}s4_${i}`)
        m[s].four.push(await timed(() => Promise.all(names.map((n) => createDb(adminUrl, n, tpl, s)))))
        m[s].fourDrop.push(await timed(() => Promise.all(names.map(async (n) => {
          const d = await client(adminUrl)
          try { await d.query(`drop database ${q(n)}`) } finally { await d.end() }
        }))))
      }
    }
  } finally {
    await dropOurs(adminUrl, FLOOR)
  }
  const per = (s) => ({
    createOneMs: r0(median(m[s].one)), dropOneMs: r0(median(m[s].oneDrop)),
    createFourMs: r0(median(m[s].four)), dropFourMs: r0(median(m[s].fourDrop)),
    // What one clone costs a run from start to end when 4 are made at once: its share of the create and of the drop.
    perCloneMs: r0((median(m[s].four) + median(m[s].fourDrop)) / 4),
  })
  const res = { templateMb: r1(Number(size) / 1024 / 1024), checkpointMs: r0(median(checkpoints)), WAL_LOG: per('WAL_LOG'), FILE_COPY: per('FILE_COPY') }
  res.fasterPerClone = res.WAL_LOG.perCloneMs <= res.FILE_COPY.perCloneMs ? 'WAL_LOG' : 'FILE_COPY'
  res.fasterCreateFour = res.WAL_LOG.createFourMs <= res.FILE_COPY.createFourMs ? 'WAL_LOG' : 'FILE_COPY'
  return res
}

// ── fsync: the same server with durability on and off ──────────────────────────────────────────────────
const DURABLE = { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' }
const NOT_DURABLE = { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' }

/**
 * Servers of the same binaries: `on` and `off` with their data on disk, apart only in the three settings;
 * `ram`, when given, the bench's embedded server (fsync off, data on the RAM disk).
 */
async function fsyncRow(urls) {
  const empty = () => ({ migrate: [], WAL_LOG: [], FILE_COPY: [] })
  const modes = Object.keys(urls)
  const m = Object.fromEntries(modes.map((mode) => [mode, empty()]))
  try {
    const more = repsLoop(REPS)
    for (let r = 0; more(r); r++) {
      for (const mode of r % 2 ? [...modes].reverse() : modes) {
        const adminUrl = urls[mode]
        const tpl = `${FLOOR}ftpl`
        m[mode].migrate.push(await timed(async () => {
          await createDb(adminUrl, tpl)
          await runSql(withDb(adminUrl, tpl), migrationSql())
        }))
        // Both strategies: the figure is the faster, whichever workerdb would pick.
        for (const strategy of r % 2 ? ['FILE_COPY', 'WAL_LOG'] : ['WAL_LOG', 'FILE_COPY']) {
          const names = [1, 2, 3, 4].map((i) => `${FLOOR}f4_${i}`)
          m[mode][strategy].push(await timed(async () => {
            await Promise.all(names.map((n) => createDb(adminUrl, n, tpl, strategy)))
            await dropDbs(adminUrl, names)
          }))
        }
        await dropDbs(adminUrl, [tpl])
      }
    }
  } finally {
    for (const url of Object.values(urls)) await dropOurs(url, FLOOR)
  }
  const per = (mode) => {
    const best = median(m[mode].WAL_LOG) <= median(m[mode].FILE_COPY) ? 'WAL_LOG' : 'FILE_COPY'
    return {
      migrateMs: r0(median(m[mode].migrate)), fasterStrategy: best, perCloneMs: r0(median(m[mode][best]) / 4),
      fourClonesMs: { WAL_LOG: r0(median(m[mode].WAL_LOG)), FILE_COPY: r0(median(m[mode].FILE_COPY)) },
    }
  }
  const res = Object.fromEntries(modes.map((mode) => [mode, per(mode)]))
  res.perCloneRatio = r2(res.on.perCloneMs / res.off.perCloneMs)
  res.migrateRatio = r2(res.on.migrateMs / res.off.migrateMs)
  if (res.ram) {
    res.ramPerCloneRatio = r2(res.on.perCloneMs / res.ram.perCloneMs)
    res.ramMigrateRatio = r2(res.on.migrateMs / res.ram.migrateMs)
  }
  return res
}

// ── cold and naive ────────────────────────────────────────────────────────────────────────────────────
/** The floor: one raw migration, then N raw concurrent clones with the given strategy (drops untimed, reported). */
async function floor(adminUrl, n, tag, strategy) {
  const tpl = `${FLOOR}${tag}_tpl`
  const names = Array.from({ length: n }, (_, i) => `${FLOOR}${tag}_${i + 1}`)
  const ms = await timed(async () => {
    await createDb(adminUrl, tpl)
    await runSql(withDb(adminUrl, tpl), migrationSql())
    await Promise.all(names.map((name) => createDb(adminUrl, name, tpl, strategy)))
  })
  const dropMs = await timed(() => dropDbs(adminUrl, names))
  await dropDbs(adminUrl, [tpl])
  return { ms, dropMs }
}

async function naiveSql(adminUrl, n, tag) {
  const names = Array.from({ length: n }, (_, i) => `${NAIVE}${tag}_${i + 1}`)
  const ms = await timed(() => Promise.all(names.map(async (name) => {
    await createDb(adminUrl, name)
    await runSql(withDb(adminUrl, name), migrationSql())
  })))
  await dropDbs(adminUrl, names)
  return ms
}

async function naiveKnex(adminUrl, n, tag, knexDir, knexMigDir) {
  const knex = createRequire(join(knexDir, 'package.json'))(knexDir)
  const names = Array.from({ length: n }, (_, i) => `${NAIVE}${tag}_${i + 1}`)
  const ms = await timed(() => Promise.all(names.map(async (name) => {
    await createDb(adminUrl, name)
    const k = knex({ client: 'pg', connection: withDb(adminUrl, name), pool: { min: 0, max: 1 } })
    try { await k.migrate.latest({ directory: knexMigDir, loadExtensions: ['.js'] }) } finally { await k.destroy() }
  })))
  await dropDbs(adminUrl, names)
  return ms
}

async function workerdbRun(adminUrl, migrate, baseDir, n, key, { spares = false, cloneStrategy, background = false } = {}) {
  const config = await core.resolveConfig({ server: { url: adminUrl }, migrate, prefix: PREFIX, key, spares, silent: true, ...(cloneStrategy ? { cloneStrategy } : {}) }, baseDir)
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 5)
  const t0 = performance.now()
  const run = await core.provision({ config, plan: { count: n, reason: 'bench' }, framework: 'bench', workerIdVar: 'BENCH_ID', log: core.createLogger({ silent: true }), dropInBackground: background })
  const ms = performance.now() - t0
  clearInterval(timer)
  const endMs = await timed(() => run.teardown())
  // As Vitest and Jest do on a URL server: the drops (and spares not yet made) go to a detached process.
  // Timed apart, after the run's end: the machine's work that the run did not wait for.
  const backgroundMs = run.summary.dropperPid ? await timed(() => awaitDropperPids([run.summary.dropperPid])) : 0
  return {
    ms, endMs, backgroundMs, migrationsRun: run.summary.template?.migrationsRun, peakRssMb: Math.round(peak / 1024 / 1024),
    fromSpares: run.summary.fromSpares ?? 0, strategy: run.summary.strategy,
  }
}

// ── suite: real Vitest runs doing a fixed amount of database work ─────────────────────────────────────
function suiteTestFile(i) {
  const k = i * 6
  return `import pg from ${JSON.stringify(join(root, 'node_modules/pg/lib/index.js'))}
import { test, expect, afterAll } from 'vitest'
// The ceiling run hands out databases itself, by pool id; the others read DATABASE_URL.
const url = process.env.BENCH_POOL_DB_URL ? process.env.BENCH_POOL_DB_URL + process.env.VITEST_POOL_ID : process.env.DATABASE_URL
const c = new pg.Client({ connectionString: url })
await c.connect()
afterAll(() => c.end())
// A fixed amount of work: ${SUITE_TX} transactions of ${QUERIES_PER_TX} queries on t${k} and t${k + 1}.
test('file ${i}: ${SUITE_TX} transactions', async () => {
  for (let j = 0; j < ${SUITE_TX}; j++) {
    await c.query('begin')
    const { rows: [p] } = await c.query("insert into t${k} (name, email, amount) values ($1, $2, $3) returning id", ['order ${i}-' + j, 'o${i}-' + j + '@example.test', j])
    await c.query("insert into t${k + 1} (name, amount, parent_id) select 'line ' || g, g, $1 from generate_series(1, 5) g", [p.id])
    await c.query("update t${k} set status = 'paid', amount = amount + 1 where id = $1", [p.id])
    await c.query("select p.status, count(*), sum(l.amount) from t${k} p join t${k + 1} l on l.parent_id = p.id where p.status = 'paid' group by p.status")
    await c.query('select id, name from t${k} where name = $1', ['order ${i}-' + j])
    await c.query('commit')
  }
  const { rows: [r] } = await c.query("select count(*)::int as n from t${k} where status = 'paid'")
  expect(r.n).toBe(${SUITE_TX})
})
`
}

function writeProject(dir, { files, db, plugin, maxWorkers, spares = false, emptySetupFile = false, zeroConfig = false }) {
  mkdirSync(join(dir, 'test'), { recursive: true })
  if (db || plugin) writeSqlMigrations(join(dir, 'migrations'))
  if (emptySetupFile) writeFileSync(join(dir, 'empty-setup.mjs'), 'export {}\n')
  // Installed as a user has it: a bare import of a package in node_modules, which Vite's config loader
  // leaves to Node. An import by absolute path would be bundled into the config on every run (~40 ms).
  if (plugin) {
    mkdirSync(join(dir, 'node_modules', '@workerdb'), { recursive: true })
    symlinkSync(join(root, 'packages', 'vitest'), join(dir, 'node_modules', '@workerdb', 'vitest'), 'dir')
  }
  const options = zeroConfig
    ? "{ migrate: { sql: './migrations' } }" // what a user writes: no server, no prefix
    : `{ prefix: '${PREFIX}', migrate: { sql: './migrations' }, spares: ${spares}, silent: ${!LOUD} }`
  writeFileSync(join(dir, 'vitest.config.mjs'), `${plugin ? "import { workerDb } from '@workerdb/vitest'\n" : ''}export default {
  ${plugin ? `plugins: [workerDb(${options})],` : ''}
  test: { pool: 'forks', maxWorkers: ${maxWorkers}, fileParallelism: ${maxWorkers > 1}${emptySetupFile ? ", setupFiles: ['./empty-setup.mjs']" : ''} },
}\n`)
  for (let i = 0; i < files; i++) {
    const body = db ? suiteTestFile(i)
      : `import { test, expect } from 'vitest'\ntest('pure ${i}', () => { let x = 0; for (let j = 0; j < 1e5; j++) x += j; expect(x).toBeGreaterThan(0) })\n`
    writeFileSync(join(dir, 'test', `f${i}.test.mjs`), body)
  }
}

/** A clean environment for a child run: none of the caller's workerdb or database settings. */
function cleanEnv(extra) {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('WORKERDB_') || k === 'DATABASE_URL' || k.startsWith('VITEST')) delete env[k]
  return { ...env, ...extra }
}

async function vitestRun(dir, env) {
  const summaryFile = join(dir, 'workerdb-summary.json')
  rmSync(summaryFile, { force: true })
  const t0 = performance.now()
  const r = await runChild(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir], { cwd: dir, env: cleanEnv({ WORKERDB_SUMMARY_FILE: summaryFile, ...env }) })
  const ms = performance.now() - t0
  const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : undefined
  // The run handed its drops to a detached process: let it finish, untimed, so that it does not slow
  // the next contender down (the e2e harness's wait, which also ends one that is stuck).
  if (summary?.dropperPid) for (const stuck of await awaitDropperPids([summary.dropperPid])) process.stderr.write(`bench: ended ${stuck}\n`)
  if (r.code !== 0) throw new Error(`vitest failed in ${dir} (exit ${r.code}, signal ${r.signal}${r.timedOut ? `, ended after ${RUN_TIMEOUT_MS / 1000} s` : ''}):\n${r.out.slice(-3000)}`)
  return { ms, summary }
}

/** Databases made and migrated by hand, outside the timed run. */
async function handMadeDbs(adminUrl, names) {
  for (const name of names) {
    await createDb(adminUrl, name)
    await runSql(withDb(adminUrl, name), migrationSql())
  }
}

/**
 * A suite's two baselines, on databases made and migrated before each run: serial on one database
 * (DATABASE_URL), and 2 workers with a database per worker id (BENCH_POOL_DB_URL + the id) — what 2
 * workers reach with no provisioning at all.
 */
async function baselines(adminUrl, tag, runSerial, runCeiling) {
  const serialDb = `${PREFIX}_${tag}ser`
  const ceiling = [`${PREFIX}_${tag}ceil1`, `${PREFIX}_${tag}ceil2`]
  await handMadeDbs(adminUrl, [serialDb])
  let serialMs
  try { serialMs = (await runSerial({ DATABASE_URL: withDb(adminUrl, serialDb) })).ms } finally { await dropDbs(adminUrl, [serialDb]) }
  await handMadeDbs(adminUrl, ceiling)
  let ceilingMs
  try { ceilingMs = (await runCeiling({ BENCH_POOL_DB_URL: withDb(adminUrl, `${PREFIX}_${tag}ceil`) })).ms } finally { await dropDbs(adminUrl, ceiling) }
  return { serialMs, ceilingMs }
}

async function suiteRow(adminUrl, work, serverKey) {
  const dirs = {}
  for (const [kind, opts] of [['workerdb', { plugin: true, maxWorkers: 2 }], ['spares', { plugin: true, maxWorkers: 2, spares: true }], ['serial', { plugin: false, maxWorkers: 1 }], ['ceiling', { plugin: false, maxWorkers: 2 }]]) {
    dirs[kind] = join(work, `suite-${serverKey}-${kind}`)
    writeProject(dirs[kind], { files: SUITE_FILES, db: true, ...opts })
  }
  const env = { WORKERDB_URL: adminUrl }
  await vitestRun(dirs.workerdb, env) // builds the template: the measured runs reuse it, as every run after a project's first does
  await vitestRun(dirs.spares, env) // leaves the spares the first measured run takes
  const t = { workerdb: [], spares: [], serial: [], ceiling: [] }
  let strategy
  const more = repsLoop(REPS)
  for (let r = 0; more(r); r++) {
    const w = await vitestRun(dirs.workerdb, env)
    t.workerdb.push(w.ms); strategy = w.summary?.strategy
    t.spares.push((await vitestRun(dirs.spares, env)).ms)
    const b = await baselines(adminUrl, 'v', (env) => vitestRun(dirs.serial, env), (env) => vitestRun(dirs.ceiling, env))
    t.serial.push(b.serialMs); t.ceiling.push(b.ceilingMs)
  }
  await dropOurs(adminUrl, PREFIX)
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, r0(median(v))]))
  return {
    serialMs: m.serial, workerdbMs: m.workerdb, withSparesMs: m.spares, ceilingMs: m.ceiling, strategy,
    speedup: r2(m.serial / m.workerdb), speedupWithSpares: r2(m.serial / m.spares), ceilingSpeedup: r2(m.serial / m.ceiling),
    toCeiling: r2(m.workerdb / m.ceiling),
  }
}

// ── jest: the suite's work under Jest ─────────────────────────────────────────────────────────────────
const JEST_FIXTURE = join(root, 'e2e/fixtures/jest30')

/** The suite's test file for Jest (CommonJS): the same transactions as suiteTestFile. */
function jestTestFile(i) {
  return suiteTestFile(i)
    .replace(/^import pg from (.*)$/m, 'const pg = require($1)')
    .replace(/^import \{ test, expect, afterAll \} from 'vitest'$/m, '')
    .replace('process.env.VITEST_POOL_ID', 'process.env.JEST_WORKER_ID')
    .replace(/^await c\.connect\(\)$/m, 'beforeAll(() => c.connect())')
}

function writeJestProject(dir, { plugin, maxWorkers }) {
  mkdirSync(join(dir, 'test'), { recursive: true })
  if (plugin) {
    writeSqlMigrations(join(dir, 'migrations'))
    writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix: PREFIX, migrate: { sql: './migrations' }, silent: !LOUD }))
    mkdirSync(join(dir, 'node_modules', '@workerdb'), { recursive: true })
    symlinkSync(join(root, 'packages', 'jest'), join(dir, 'node_modules', '@workerdb', 'jest'), 'dir')
  }
  writeFileSync(join(dir, 'jest.config.js'), `module.exports = ${JSON.stringify({
    ...(plugin ? { preset: '@workerdb/jest' } : {}), testMatch: ['**/test/*.test.js'], transform: {}, maxWorkers, cacheDirectory: join(dir, '.jest-cache'),
  })}\n`)
  for (let i = 0; i < SUITE_FILES; i++) writeFileSync(join(dir, 'test', `f${i}.test.js`), jestTestFile(i))
}

async function jestRun(dir, env, args = []) {
  // Jest runs a suite of fast files in band once its timing cache knows them: each run starts without it.
  rmSync(join(dir, '.jest-cache'), { recursive: true, force: true })
  const summaryFile = join(dir, 'workerdb-summary.json')
  rmSync(summaryFile, { force: true })
  const t0 = performance.now()
  const r = await runChild(process.execPath, [join(JEST_FIXTURE, 'node_modules/jest/bin/jest.js'), ...args], { cwd: dir, env: cleanEnv({ WORKERDB_SUMMARY_FILE: summaryFile, ...env }) })
  const ms = performance.now() - t0
  const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : undefined
  if (summary?.dropperPid) for (const stuck of await awaitDropperPids([summary.dropperPid])) process.stderr.write(`bench: ended ${stuck}\n`)
  if (r.code !== 0) throw new Error(`jest failed in ${dir} (exit ${r.code}, signal ${r.signal}${r.timedOut ? `, ended after ${RUN_TIMEOUT_MS / 1000} s` : ''}):\n${r.out.slice(-3000)}`)
  return { ms, summary }
}

async function jestRow(adminUrl, work, serverKey) {
  const dirs = {}
  for (const [kind, opts] of [['workerdb', { plugin: true, maxWorkers: 2 }], ['serial', { plugin: false, maxWorkers: 1 }], ['ceiling', { plugin: false, maxWorkers: 2 }]]) {
    dirs[kind] = join(work, `jest-${serverKey}-${kind}`)
    writeJestProject(dirs[kind], opts)
  }
  const env = { WORKERDB_URL: adminUrl }
  await jestRun(dirs.workerdb, env) // builds the template: the measured runs reuse it
  const t = { workerdb: [], serial: [], ceiling: [] }
  const more = repsLoop(REPS)
  for (let r = 0; more(r); r++) {
    const w = await jestRun(dirs.workerdb, env)
    t.workerdb.push(w.ms)
    const b = await baselines(adminUrl, 'j', (env) => jestRun(dirs.serial, env, ['--runInBand']), (env) => jestRun(dirs.ceiling, env))
    t.serial.push(b.serialMs); t.ceiling.push(b.ceilingMs)
  }
  await dropOurs(adminUrl, PREFIX)
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, r0(median(v))]))
  return {
    jest: JSON.parse(readFileSync(join(JEST_FIXTURE, 'node_modules/jest/package.json'), 'utf8')).version,
    serialMs: m.serial, workerdbMs: m.workerdb, ceilingMs: m.ceiling,
    speedup: r2(m.serial / m.workerdb), ceilingSpeedup: r2(m.serial / m.ceiling), toCeiling: r2(m.workerdb / m.ceiling),
  }
}

// ── reset: what a reset per test costs each test, against what a project writes itself ─────────────────
const RESET_NOOP_TESTS = 200
const RESET_DIRTY_TESTS = 20
const RESET_ALL_TESTS = 3

/**
 * What the reset row measures on one server, given the run (provisioned with `reset: { truncate: true, per:
 * 'test' }`) and the test's own connection `app` ({ raw, query(sql), count(table), close() }: what a test
 * writes through, and where the project's own emptying runs): the beforeEach the setup files register, when
 * nothing was written and when one table was, the project's way (`all`, what `allLabel` says), the per-file
 * path (`fresh`: a new connection and the check), and useTransaction's BEGIN + ROLLBACK on `app.raw`.
 */
async function measureReset(run, app, { leafSql, all, allLabel, fresh }) {
  const worker = await import(join(root, 'packages/core/dist/worker.js'))
  const hooks = { beforeEach: [], afterAll: [] }
  try {
    const reset = run.manifest.reset
    const tables = reset.refs.length
    // What the setup files do: map, reset the clone for the file (keeping the connection), register the hooks.
    const env = { [core.MANIFEST_ENV]: run.manifestPath, BENCH_ID: '1' }
    worker.setupWorker(env)
    await worker.resetWorkerDatabase(env)
    if (!worker.registerTestReset({ beforeEach: (fn) => hooks.beforeEach.push(fn), afterAll: (fn) => hooks.afterAll.push(fn) })) throw new Error('no reset per test was registered')
    const beforeEach = hooks.beforeEach[0]
    // A leaf table (t49: it references t48, nothing references it), so one dirty table means one table emptied.
    const leaf = reset.refs.find((t) => t.name === 't49') ?? reset.refs.at(-1)
    const m = { noop: [], one: [], all: [], fresh: [], tx: [] }
    // The other way to isolate tests: useTransaction's BEGIN before and ROLLBACK after each, on the app's connection.
    const tx = worker.testTransaction(app.raw)
    const more = repsLoop(REPS)
    for (let r = 0; more(r); r++) {
      const noop = []; const one = []; const allT = []; const freshT = []; const txT = []
      await beforeEach()
      for (let i = 0; i < RESET_NOOP_TESTS; i++) noop.push(await timed(beforeEach))
      for (let i = 0; i < RESET_DIRTY_TESTS; i++) {
        await app.query(`insert into ${leafSql(leaf)} (name) values ('written by a test')`)
        one.push(await timed(beforeEach))
      }
      const left = await app.count(leafSql(leaf))
      if (left !== 0) throw new Error(`the reset per test left ${left} rows in ${leaf.name}`)
      for (let i = 0; i < RESET_ALL_TESTS; i++) allT.push(await timed(() => app.query(all(reset.refs))))
      // The per-file path: a fresh connection that finds nothing to do (what every test would pay without a kept one).
      for (let i = 0; i < 10; i++) freshT.push(await timed(() => fresh(reset.check)))
      for (let i = 0; i < RESET_NOOP_TESTS; i++) txT.push(await timed(async () => { await tx.begin(); await tx.rollback() }))
      // A begun test transaction makes the reset per test step aside for the rest of the file: this "file" goes on.
      globalThis[Symbol.for('workerdb.testTransactionBegun')] = undefined
      m.noop.push(median(noop)); m.one.push(median(one)); m.all.push(median(allT)); m.fresh.push(median(freshT)); m.tx.push(median(txT))
    }
    const res = {
      tables, leaf: [leaf.schema, leaf.name].filter(Boolean).join('.'), ...(allLabel ? { allLabel: allLabel(tables) } : {}),
      testsPerRep: { noop: RESET_NOOP_TESTS, oneTable: RESET_DIRTY_TESTS, truncateAll: RESET_ALL_TESTS },
      noopMs: r3(median(m.noop)), oneTableMs: r1(median(m.one)), truncateAllMs: r0(median(m.all)), freshCheckMs: r1(median(m.fresh)),
      transactionMs: r3(median(m.tx)),
    }
    res.truncateAllVsNoop = r0(res.truncateAllMs / res.noopMs)
    res.truncateAllVsOneTable = r1(res.truncateAllMs / res.oneTableMs)
    return res
  } finally {
    for (const fn of hooks.afterAll) await fn().catch(() => {})
  }
}

/** A clone of the reset row's schema, run by workerdb with `reset: { truncate: true, per: 'test' }`. */
async function resetRun(serverUrl, migrations, key) {
  const config = await core.resolveConfig({
    server: { url: serverUrl }, migrate: { sql: migrations }, prefix: PREFIX, key: `reset-${key}-${Date.now()}`, silent: true,
    reset: { truncate: true, per: 'test' },
  }, work)
  return core.provision({ config, plan: { count: 1, reason: 'bench' }, framework: 'bench', workerIdVar: 'BENCH_ID', log: core.createLogger({ silent: true }) })
}

async function resetRow(adminUrl, work) {
  const run = await resetRun(adminUrl, join(work, 'migrations'), 'pg')
  const c = await client(run.manifest.clones[0].url)
  const app = { raw: c, query: (sql) => c.query(sql), count: async (t) => (await c.query(`select count(*)::int as n from ${t}`)).rows[0].n }
  try {
    return await measureReset(run, app, {
      leafSql: (t) => `${q(t.schema)}.${q(t.name)}`,
      // The alternative a project writes: one TRUNCATE of every table before each test, on a connection it keeps.
      all: (refs) => `TRUNCATE TABLE ${refs.map((t) => `${q(t.schema)}.${q(t.name)}`).join(', ')} RESTART IDENTITY CASCADE`,
      fresh: async (check) => {
        const f = await client(run.manifest.clones[0].url)
        await f.query(check)
        await f.end()
      },
    })
  } finally {
    await c.end().catch(() => {})
    await run.teardown()
    await dropOurs(adminUrl, PREFIX)
  }
}

// ── mysql and sqlite: the other kinds, each against the best its users do without workerdb ──────────────
const MYSQL_URL = flag('mysql-url', process.env.WORKERDB_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306')
const SQLITE_BASE = flag('sqlite-dir', tmpdir())
const KIND_TABLES = 50
const KIND_ROWS = 2000
/** The sqlite row's copies (milliseconds each) are timed this many times a rep. */
const SQLITE_COPY_ROUNDS = 5
const KIND_SCHEMA = `${KIND_TABLES} tables × ${KIND_ROWS.toLocaleString('en')} rows, 2 secondary indexes each, ${KIND_TABLES - 1} foreign keys with every parent_id set, in 5 migrations`
/** What the bench made on a server other than PostgreSQL, undone in the bench's finally whatever happened (each row also cleans up after itself). */
const otherCleanups = []

/** The schema in MariaDB's or MySQL's words (bench/mysql-schema.mjs), in 5 scripts as migrationSql. */
function mysqlMigrationSql(flavour) {
  return Array.from({ length: 5 }, (_, f) =>
    [...mysqlSessionSql(KIND_ROWS, flavour), ...Array.from({ length: 10 }, (_, i) => mysqlTableSql(f * 10 + i, KIND_ROWS, flavour)).flat()].join('\n'))
}

/** The same schema and rows in SQLite's words. */
function sqliteMigrationSql() {
  const files = []
  for (let f = 0; f < 5; f++) {
    const out = []
    for (let t = f * 10; t < f * 10 + 10; t++) {
      const ref = t > 0 ? `, parent_id integer references t${t - 1}(id)` : ''
      out.push(`create table t${t} (id integer primary key autoincrement, name text not null, email text, amount numeric(12,2) not null default 0, ` +
        `status text not null default 'new', created_at text not null default (strftime('%Y-%m-%d %H:%M:%f', 'now'))${ref});`)
      out.push(`create index t${t}_name_idx on t${t} (name);`)
      out.push(`create index t${t}_status_created_idx on t${t} (status, created_at);`)
      out.push(`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${KIND_ROWS}) ` +
        `insert into t${t} (name, email, amount${t > 0 ? ', parent_id' : ''}) select 'row ' || n, 'u' || n || '@example.test', n % 1000${t > 0 ? ', n' : ''} from g;`)
    }
    files.push(out.join('\n'))
  }
  return files
}

/**
 * The reset row on MariaDB (kind 'mysql') or SQLite: the same measures as resetRow, on that kind's 50-table
 * schema, through the same worker code; the project's own alternative in its words (MariaDB: a TRUNCATE per
 * table with foreign key checks off; SQLite: DELETE of every table and of sqlite_sequence in one
 * transaction); useTransaction on the kind's driver (mysql2, better-sqlite3).
 */
async function kindResetRow(kind, ctx) {
  const migrations = join(work, `reset-${kind}-migrations`)
  mkdirSync(migrations, { recursive: true })
  const scripts = kind === 'sqlite' ? sqliteMigrationSql() : mysqlMigrationSql({ mariadb: ctx.mariadb })
  scripts.forEach((sql, i) => writeFileSync(join(migrations, `000${i + 1}_tables.sql`), sql))
  const run = await resetRun(kind === 'sqlite' ? ctx.adminUrl : ctx.url, migrations, kind)
  const url = run.manifest.clones[0].url
  const app = kind === 'sqlite' ? (() => {
    const db = new (coreRequire('better-sqlite3'))(fileURLToPath(url), { fileMustExist: true, timeout: 5000 })
    return { raw: db, query: async (sql) => { db.exec(sql) }, count: async (t) => db.prepare(`select count(*) as n from ${t}`).get().n, close: async () => db.close() }
  })() : await (async () => {
    const conn = await coreRequire('mysql2/promise').createConnection({ uri: url, multipleStatements: true })
    return { raw: conn, query: async (sql) => { await conn.query(sql) }, count: async (t) => Number((await conn.query(`select count(*) as n from ${t}`))[0][0].n), close: () => conn.end() }
  })()
  const { RESET_DIALECTS } = await jiti.import('../packages/core/src/isolation/truncate.ts')
  try {
    return await measureReset(run, app, {
      leafSql: (t) => t.name,
      all: (refs) => kind === 'sqlite'
        ? ['BEGIN', ...refs.map((t) => `DELETE FROM "${t.name}"`), 'DELETE FROM sqlite_sequence', 'COMMIT'].join(';\n')
        : ['SET SESSION foreign_key_checks = 0', ...refs.map((t) => `TRUNCATE TABLE \`${t.name}\``), 'SET SESSION foreign_key_checks = 1'].join(';\n'),
      allLabel: (tables) => kind === 'sqlite' ? `DELETE of all ${tables} tables and of sqlite_sequence, in one transaction, in beforeEach`
        : `TRUNCATE TABLE of all ${tables} tables (foreign key checks off) in beforeEach`,
      fresh: async (check) => {
        const c = await RESET_DIALECTS[kind].open(url, { lockTimeoutMs: 10_000 })
        await c.dirty(check)
        await c.close()
      },
    })
  } finally {
    await app.close().catch(() => {})
    await run.teardown()
    rmSync(migrations, { recursive: true, force: true })
  }
}

/** core's sources for what runner.js does not export (the dialects, the engine's clone and drop steps), loaded when a row needs them. */
async function coreSources() {
  return {
    dialects: await jiti.import('../packages/core/src/catalog/dialects.ts'),
    clones: await jiti.import('../packages/core/src/engine/clones.ts'),
    marker: await jiti.import('../packages/core/src/catalog/marker.ts'),
    names: await jiti.import('../packages/core/src/catalog/names.ts'),
    spares: await jiti.import('../packages/core/src/engine/spares.ts'),
  }
}
/** The drivers as core finds them (they are its users' dependencies, installed in packages/core for its tests). */
const coreRequire = createRequire(join(root, 'packages', 'core', 'package.json'))

// CPU while copying: a server process's own (/proc/<pid>/stat) and the whole machine's (/proc/stat), on Linux.
const CLK_TCK = Number(spawnSyncText('getconf', ['CLK_TCK'])) || 100
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12]) // utime + stime
  } catch {
    return undefined
  }
}
/** This process's CPU and its waited-for children's (a mysqldump | mysql pipeline's, once it exited). */
function benchTicks() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) // utime + stime + cutime + cstime
  } catch {
    return undefined
  }
}
function machineTicks() {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
    return { total: v.reduce((a, b) => a + b, 0), idle: v[3], iowait: v[4] }
  } catch {
    return undefined
  }
}
/**
 * Runs f; its wall time, and the cores busy meanwhile: the server process `pid`'s, the bench's own (with
 * the child processes it waited for), the whole machine's (the rest is other work on the machine).
 */
async function withCpu(pid, f) {
  const p0 = pid ? processTicks(pid) : undefined
  const b0 = benchTicks()
  const m0 = machineTicks()
  const t0 = performance.now()
  const value = await f()
  const ms = performance.now() - t0
  const p1 = pid ? processTicks(pid) : undefined
  const b1 = benchTicks()
  const m1 = machineTicks()
  const cpu = {}
  if (p0 !== undefined && p1 !== undefined) cpu.serverCores = (p1 - p0) / CLK_TCK / (ms / 1000)
  if (b0 !== undefined && b1 !== undefined) cpu.benchCores = (b1 - b0) / CLK_TCK / (ms / 1000)
  if (m0 && m1 && m1.total > m0.total) {
    const total = m1.total - m0.total
    cpu.machineCores = ((total - (m1.idle - m0.idle) - (m1.iowait - m0.iowait)) / total) * availableParallelism()
    cpu.iowaitPct = ((m1.iowait - m0.iowait) / total) * 100
  }
  return { value, ms, cpu }
}
const cpuMedians = (xs) => {
  const of = (k) => { const v = xs.map((c) => c[k]).filter((n) => n !== undefined); return v.length ? median(v) : undefined }
  const out = {
    serverCores: of('serverCores'), benchCores: of('benchCores'), machineCores: of('machineCores'), iowaitPct: of('iowaitPct'),
    serverCpuMsPerClone: of('serverCpuMsPerClone'), leftCpuMsPerClone: of('leftCpuMsPerClone'),
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined).map(([k, v]) => [k, k.endsWith('MsPerClone') ? r0(v) : k === 'iowaitPct' ? r1(v) : r2(v)]))
}

/**
 * Waits until the server process `pid` is idle (at most one clock tick of CPU in 300 ms; 20 s at most),
 * so that what one contender left the server doing (background statistics, purging dropped tables) is not
 * charged to the next; the server's CPU meanwhile, in ms.
 */
async function serverSettled(pid) {
  if (!pid) return undefined
  const start = processTicks(pid)
  const deadline = Date.now() + 20_000
  for (;;) {
    const a = processTicks(pid)
    await sleep(300)
    const b = processTicks(pid)
    if (a === undefined || b === undefined) return undefined
    if (b - a <= 1 || Date.now() > deadline) return ((b - start) / CLK_TCK) * 1000
  }
}

const shq = (s) => `'${String(s).replace(/'/g, "'\\''")}'`

/** The mysql row's servers that answered, by key, in the order they are measured. */
function mysqlServers() {
  return [['mysql', mysqlCtx], ['mysql-container', mysqlContainerCtx], ...Object.entries(ownMysqlCtx)].filter(([, ctx]) => ctx)
}

/**
 * The MariaDB or MySQL server at `url` and what the row needs of it; throws when nothing (or no MariaDB ≥ 10.5,
 * MySQL ≥ 8.0) answers. `container`: a container the bench started (mysqldump and mysql then run in it, the
 * server's own tools, over its socket; its server's CPU is read through the pid this machine sees). `own`: it
 * was started as workerdb starts one, with these server settings, its data dir in memory or not.
 */
async function openMysql(url, { from, container, own } = {}) {
  const src = await coreSources()
  const mysql = await jiti.import('../packages/core/src/catalog/mysql/index.ts')
  const parts = mysql.parseMysqlUrl(url)
  const where = parts.socketPath ?? `${parts.host}:${parts.port}`
  const admin = await src.dialects.connectAdmin(url, '--mysql-url')
  let mon
  try {
    mon = await coreRequire('mysql2/promise').createConnection({
      host: parts.host, port: parts.port, user: parts.user, password: parts.password, ...(parts.socketPath ? { socketPath: parts.socketPath } : {}),
    })
    const facts = await admin.facts()
    const [[v]] = await mon.query('SELECT VERSION() AS version, @@GLOBAL.innodb_flush_log_at_trx_commit AS flush, @@pid_file AS pidFile')
    // The server's own CPU is readable when it runs on this machine.
    let serverPid = container?.pid !== undefined && processTicks(container.pid) !== undefined ? container.pid : undefined
    if (!container && (parts.socketPath || ['127.0.0.1', 'localhost', '::1'].includes(parts.host))) {
      let pid
      try { pid = Number(readFileSync(String(v.pidFile), 'utf8').trim()) } catch { /* not readable here: no CPU figures */ }
      if (pid && processTicks(pid) !== undefined) serverPid = pid
    }
    const version = String(v.version).split('-')[0]
    const product = facts.product.split(' ')[0]
    const mariadb = product === 'MariaDB'
    // In the container: its own client tools as root over its socket; here: the machine's, to the URL's server.
    const cliArgs = container ? ['-uroot'] : [...(parts.socketPath ? ['-S', parts.socketPath] : ['-h', parts.host, '-P', String(parts.port)]), ...(parts.user ? ['-u', parts.user] : [])]
    const cli = container ? (args) => spawnSyncText('docker', ['exec', container.id, ...args]) : (args) => spawnSyncText(args[0], args.slice(1))
    const hasCli = ['mysqldump', 'mysql'].every((c) => cli([c, '--version']) !== undefined)
    const durability = `innodb_flush_log_at_trx_commit=${v.flush}${Number(v.flush) === 1 ? ': every commit waits for the redo log\'s fsync' : ''}`
    return {
      src, admin, mon, serverPid, cliArgs, hasCli, password: parts.password, url, container, mariadb,
      server: {
        label: own ? `${product} ${version} in a container as workerdb starts one for \`dialect: 'mysql'\` with no URL (${container.image}, started by the bench; ${own.settings.join(' ')}${own.memory ? ', data dir in memory' : ''})`
          : container ? `${product} ${version} in a container (${container.image}, started by the bench; ${durability})` : `${product} ${version} at ${where} (${durability})`,
        kind: 'mysql', product, version, host: where, durable: facts.durable, flushLogAtTrxCommit: Number(v.flush), from,
        ...(container ? { image: container.image } : {}),
        ...(own ? { settings: own.settings, memory: own.memory } : {}),
        ...(serverPid ? { cpuFrom: `/proc/${serverPid}/stat (the server process)` } : {}),
      },
    }
  } catch (err) {
    await mon?.end().catch(() => {})
    await admin.close()
    throw err
  }
}

/** Every MariaDB or MySQL database of this bench run (their names start with PREFIX_), dropped. */
async function dropOursMysql(admin) {
  for (const { name } of await admin.list(PREFIX)) {
    if (!name.startsWith(`${PREFIX}_`)) continue
    await admin.drop(name)
  }
}

async function mysqlRow(ctx) {
  const { src, admin, mon } = ctx
  const tpl = `${PREFIX}_mytpl`
  const benchRun = src.names.newRunId()
  const mark = (kind, extra = {}) => src.marker.makeMarker({ kind, run: benchRun, ...extra })
  const fsyncs = async () => Number((await mon.query("SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'"))[0][0]?.Value)
  const rowsIn = async (db) => Number((await mon.query(`SELECT COUNT(*) AS n FROM \`${db}\`.t${KIND_TABLES - 1}`))[0][0].n)
  try {
    // The template as a run builds it: made "building", migrated, marked ready, sealed.
    const buildMs = await timed(async () => {
      await admin.create(tpl, mark('template', { state: 'building' }))
      const dialect = src.dialects.dialectFor(ctx.url)
      const scripts = await dialect.openScripts(dialect.databaseUrl(ctx.url, tpl))
      try { for (const sql of mysqlMigrationSql({ mariadb: ctx.mariadb })) await scripts.run(sql) } finally { await scripts.close() }
      await admin.mark(tpl, mark('template', { state: 'ready' }))
      await admin.seal(tpl)
    })
    const bytes = await admin.size(tpl)
    let plan
    // Once per run: the template's definitions (a run's copyPlan), cached for every copy after it.
    const planMs = await timed(async () => { plan = await admin.copyPlan(tpl) })

    // workerdb: the engine's clone step with a run's lanes on this machine (a lane per clone, the lanes left
    // over shared out as sessions within each copy; the run's admin session as the first), then teardown's drop.
    const lanes = src.clones.cloneConcurrency(availableParallelism())
    const byCopy = async (n) => {
      const runId = src.names.newRunId()
      const names = Array.from({ length: n }, (_, i) => src.names.cloneName(PREFIX, runId, i + 1))
      const { ms, cpu } = await withCpu(ctx.serverPid, () => src.clones.createClones({ adminUrl: ctx.url, template: tpl, names, runId, plan, concurrency: lanes, first: admin }))
      return { ms, cpu, names, drop: () => src.clones.dropClones(ctx.url, names, runId, 4) }
    }
    // Django's way: CREATE DATABASE, then `mysqldump … <template> | mysql <clone>`, a pipeline per clone.
    const env = { ...process.env, ...(ctx.password ? { MYSQL_PWD: ctx.password } : {}) }
    const dumpCmd = ['mysqldump', ...ctx.cliArgs, '--single-transaction', '--skip-lock-tables', '--routines', '--events', tpl].map(shq).join(' ')
    const byDump = async (n, tag) => {
      const names = Array.from({ length: n }, (_, i) => `${PREFIX}_dump${tag}_${i + 1}`)
      const { ms, cpu } = await withCpu(ctx.serverPid, () => Promise.all(names.map(async (name) => {
        await admin.create(name, mark('clone'))
        const pipeline = `set -o pipefail; ${dumpCmd} | ${['mysql', ...ctx.cliArgs, name].map(shq).join(' ')}`
        const r = ctx.container ? await runChild('docker', ['exec', ctx.container.id, 'bash', '-c', pipeline], { cwd: work, env })
          : await runChild('bash', ['-c', pipeline], { cwd: work, env })
        if (r.code !== 0) throw new Error(`mysqldump | mysql into ${name} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}${r.timedOut ? ', timed out' : ''}): ${r.out.slice(-1000)}`)
      })))
      return { ms, cpu, names, drop: async () => { for (const name of names) await admin.drop(name); return names.length } }
    }

    const t = { copy1: [], dump1: [], copy4: [], dump4: [], drop1: [], drop4: [], copy1Fsyncs: [], dump1Fsyncs: [], copy1Cpu: [], dump1Cpu: [], copy4Cpu: [], dump4Cpu: [], spareMake: [], spare4: [] }
    const hash = 'be'.repeat(32)
    const takeSpares = async (r) => {
      for (let i = 0; i < 4; i++) {
        const name = src.names.spareName(PREFIX, hash)
        t.spareMake.push(await timed(() => admin.spares.make(tpl, name, plan, mark('spare', { hash }))))
      }
      await serverSettled(ctx.serverPid)
      const runId = src.names.newRunId()
      const names = Array.from({ length: 4 }, (_, i) => src.names.cloneName(PREFIX, runId, i + 1))
      let claimed
      t.spare4.push(await timed(async () => { claimed = await src.spares.claimSpares(admin, { template: tpl, prefix: PREFIX, hash, names, runId }) }))
      if (claimed.filled.length !== 4) throw new Error(`spares: took ${claimed.filled.length} of 4 (${claimed.failed.join('; ')})`)
      if (r === 0) for (const name of names) if (await rowsIn(name) !== KIND_ROWS) throw new Error(`spares: ${name} does not hold the template's ${KIND_ROWS} rows`)
      await src.clones.dropClones(ctx.url, names, runId, 4)
      await serverSettled(ctx.serverPid)
    }
    const more = repsLoop(REPS)
    for (let r = 0; more(r); r++) {
      for (const n of [1, 4]) {
        for (const way of r % 2 ? ['dump', 'copy'] : ['copy', 'dump']) {
          if (way === 'dump' && !ctx.hasCli) continue
          const f0 = await fsyncs()
          const made = way === 'copy' ? await byCopy(n) : await byDump(n, `${r}x${n}`)
          const f1 = await fsyncs()
          // Each contender made whole clones: every row of the last table is there.
          if (r === 0) for (const name of made.names) if (await rowsIn(name) !== KIND_ROWS) throw new Error(`${way}: ${name} does not hold the template's ${KIND_ROWS} rows`)
          t[`${way}${n}`].push(made.ms)
          if (n === 1) t[`${way}1Fsyncs`].push(f1 - f0)
          // The server's CPU per clone, in ms: what n copies cost it, whatever the cores they ran on; and
          // what they left it to do in the background once they returned (statistics recalculated).
          const left = await serverSettled(ctx.serverPid)
          t[`${way}${n}Cpu`].push({
            ...made.cpu,
            ...(made.cpu.serverCores !== undefined ? { serverCpuMsPerClone: (made.cpu.serverCores * made.ms) / n } : {}),
            ...(left !== undefined ? { leftCpuMsPerClone: left / n } : {}),
          })
          const dropped = { n: 0 }
          const dropMs = await timed(async () => { dropped.n = await made.drop() })
          if (dropped.n !== n) throw new Error(`${way}: dropped ${dropped.n} of ${n} clones`)
          await serverSettled(ctx.serverPid)
          if (way === 'copy') t[`drop${n}`].push(dropMs)
        }
        // Spares, in the same round: what a run's clone step costs when the run before it made 4 spares while
        // its tests ran (one session each, beside the tests: spareMake). Not the goal's measure: the copy moved
        // to the previous run's test time, it did not go.
        if (n === 4 && admin.spares) await takeSpares(r)
      }
    }
    const m = (k) => (t[k].length ? r0(median(t[k])) : undefined)
    const cores = availableParallelism()
    const res = {
      work: {
        schema: KIND_SCHEMA, bytes, templateMb: r1(bytes / 1048576), buildMs: r0(buildMs), planMs: r0(planMs), copy: plan.label,
        // The sessions each copy put its rows in over: one clone alone, and each of 4 at once.
        sessions: { one: src.clones.copySessions(lanes, 1, plan.sessionsPerCopy), four: src.clones.copySessions(lanes, 4, plan.sessionsPerCopy) },
      },
      baseline: ctx.hasCli ? `CREATE DATABASE, then mysqldump --single-transaction --skip-lock-tables --routines --events <template> | mysql <clone>${ctx.container ? ' (in the container: its own tools, over its socket)' : ''}` : undefined,
      ...(ctx.hasCli ? {} : { baselineSkipped: 'mysqldump or mysql not found on PATH' }),
      one: { copyMs: m('copy1'), dumpMs: m('dump1'), dropMs: m('drop1'), copyFsyncs: m('copy1Fsyncs'), dumpFsyncs: m('dump1Fsyncs'), copyCpu: cpuMedians(t.copy1Cpu), dumpCpu: cpuMedians(t.dump1Cpu) },
      four: { copyMs: m('copy4'), dumpMs: m('dump4'), dropMs: m('drop4'), copyCpu: cpuMedians(t.copy4Cpu), dumpCpu: cpuMedians(t.dump4Cpu) },
      ...(t.spare4.length ? { spares: { takeFourMs: m('spare4'), makeOneMs: m('spareMake') } } : {}),
      cores, durable: ctx.server.durable, goal: 2,
    }
    if (ctx.hasCli) {
      res.one.ratio = r2(median(t.dump1) / median(t.copy1))
      res.four.ratio = r2(median(t.dump4) / median(t.copy4))
      // Each rep's own ratio (its contenders ran back to back): how much the machine's load moved the figure.
      res.one.perRep = t.dump1.map((d, i) => r2(d / t.copy1[i]))
      res.four.perRep = t.dump4.map((d, i) => r2(d / t.copy4[i]))
      res.goalMet = res.four.ratio >= res.goal
      if (res.spares) res.spares.ratio = r2(median(t.dump4) / median(t.spare4))
    }
    // CPU-bound: the machine's cores were (nearly) all busy while workerdb's 4 copies ran.
    if (res.four.copyCpu.machineCores !== undefined) res.cpuBound = res.four.copyCpu.machineCores >= 0.85 * cores
    // What workerdb's 4 copies could not go below even with every core to themselves: the server's CPU they cost, over the cores.
    if (res.four.copyCpu.serverCpuMsPerClone !== undefined) res.four.cpuFloorMs = r0((4 * res.four.copyCpu.serverCpuMsPerClone) / cores)
    return res
  } finally {
    await dropOursMysql(admin)
  }
}

/** The SQLite directory, its file system, whether reflinks work there: what the row needs. */
async function openSqlite() {
  const src = await coreSources()
  const base = mkdtempSync(join(SQLITE_BASE, 'workerdb-bench-sqlite-'))
  otherCleanups.push(async () => rmSync(base, { recursive: true, force: true }))
  const dir = join(base, 'workerdb')
  const byHand = join(base, 'by-hand')
  mkdirSync(byHand)
  const adminUrl = src.dialects.dialectFor(`file:${dir}`).adminUrl(`file:${dir}`)
  const admin = await src.dialects.connectAdmin(adminUrl, '--sqlite-dir')
  const facts = await admin.facts()
  const fsType = spawnSyncText('df', ['--output=fstype', base])?.split('\n')[1]?.trim() || spawnSyncText('stat', ['-f', '-c', '%T', base])
  const driver = JSON.parse(readFileSync(join(dirname(coreRequire.resolve('better-sqlite3')), '..', 'package.json'), 'utf8'))
  return {
    src, admin, adminUrl, dir, byHand, fsType, driverPath: coreRequire.resolve('better-sqlite3'),
    server: {
      label: `${facts.product} (better-sqlite3 ${driver.version}), database files in a directory under ${SQLITE_BASE} on ${fsType ?? 'an unknown file system'}`,
      kind: 'sqlite', version: facts.product.split(' ')[1], fsType, dirBase: SQLITE_BASE, driver: `better-sqlite3 ${driver.version}`,
    },
  }
}

/** A worker thread that runs migrations into a file it is sent (a test worker migrating its own database). */
const MIGRATE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
parentPort.on('message', ({ file, scripts }) => {
  try {
    const db = new Database(file)
    for (const sql of scripts) { db.exec('BEGIN'); db.exec(sql); db.exec('COMMIT') }
    db.close()
    parentPort.postMessage({ ok: true })
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message || err) })
  }
})
parentPort.postMessage({ ready: true })
`

async function sqliteRow(ctx) {
  const { src, admin, adminUrl, dir, byHand } = ctx
  const { Worker } = await import('node:worker_threads')
  const { copyFile, rm } = await import('node:fs/promises')
  const { constants: fsc, chmodSync, copyFileSync, statSync } = await import('node:fs')
  const Database = coreRequire('better-sqlite3')
  const dialect = src.dialects.dialectFor(adminUrl)
  const tpl = `${PREFIX}_sqtpl`
  const benchRun = src.names.newRunId()
  const mark = (kind, extra = {}) => src.marker.makeMarker({ kind, run: benchRun, ...extra })
  const scripts = sqliteMigrationSql()
  const rowsIn = (file) => {
    const db = new Database(file, { readonly: true, fileMustExist: true })
    try { return db.prepare(`select count(*) as n from t${KIND_TABLES - 1}`).get().n } finally { db.close() }
  }
  const threads = []
  try {
    // The template as a run builds it with `migrate: { sql }`: made "building", migrated, marked ready, sealed.
    const buildMs = await timed(async () => {
      await admin.create(tpl, mark('template', { state: 'building' }))
      const runner = await dialect.openScripts(dialect.databaseUrl(adminUrl, tpl))
      try { for (const sql of scripts) await runner.run(sql) } finally { await runner.close() }
      await admin.mark(tpl, mark('template', { state: 'ready' }))
      await admin.seal(tpl)
    })
    const tplFile = join(dir, `${tpl}.db`)
    const bytes = statSync(tplFile).size
    const plan = await admin.copyPlan(tpl)
    // The template a user keeps by hand: the same file, writable (made once, untimed).
    const kept = join(byHand, 'template.db')
    copyFileSync(tplFile, kept)
    chmodSync(kept, 0o644)
    // Test workers that migrate their own file are running already: the threads start (and load the driver) untimed.
    for (let i = 0; i < 4; i++) {
      const w = new Worker(MIGRATE_THREAD, { eval: true, workerData: { driver: ctx.driverPath } })
      threads.push(w)
      await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject) })
    }
    const inThread = (w, file) => new Promise((resolve, reject) => {
      const failed = (err) => { w.off('message', done); reject(err) }
      const done = (m) => { w.off('error', failed); if (m.ok) resolve(); else reject(new Error(`migrating ${file} in a worker thread: ${m.message}`)) }
      w.once('message', done)
      w.once('error', failed)
      w.postMessage({ file, scripts })
    })
    const migrateHere = (file) => {
      const db = new Database(file)
      try { for (const sql of scripts) { db.exec('BEGIN'); db.exec(sql); db.exec('COMMIT') } } finally { db.close() }
    }
    const files = (tag) => [1, 2, 3, 4].map((i) => join(byHand, `${tag}_${i}.db`))
    const removeAll = (fs) => Promise.all(fs.flatMap((f) => [f, `${f}-journal`, `${f}-wal`, `${f}-shm`].map((x) => rm(x, { force: true }))))

    const ways = {
      async workerdb(r) {
        const runId = src.names.newRunId()
        const names = [1, 2, 3, 4].map((i) => src.names.cloneName(PREFIX, runId, i))
        const ms = await timed(() => src.clones.createClones({ adminUrl, template: tpl, names, runId, plan, concurrency: 4, first: admin }))
        if (r === 'warm') for (const n of names) if (rowsIn(join(dir, `${n}.db`)) !== KIND_ROWS) throw new Error(`workerdb: ${n} does not hold the template's rows`)
        let dropped = 0
        const dropMs = await timed(async () => { dropped = await src.clones.dropClones(adminUrl, names, runId, 4) })
        if (dropped !== 4) throw new Error(`workerdb: dropped ${dropped} of 4 clones`)
        return { ms, dropMs }
      },
      async copyFile(r) {
        const fs = files(`copy${r}`)
        const ms = await timed(() => Promise.all(fs.map((f) => copyFile(kept, f, fsc.COPYFILE_FICLONE))))
        if (r === 'warm') for (const f of fs) if (rowsIn(f) !== KIND_ROWS) throw new Error(`fs.copyFile: ${f} does not hold the template's rows`)
        await removeAll(fs)
        return { ms }
      },
      async threads(r) {
        const fs = files(`thr${r}`)
        const ms = await timed(() => Promise.all(fs.map((f, i) => inThread(threads[i], f))))
        if (r === 'warm') for (const f of fs) if (rowsIn(f) !== KIND_ROWS) throw new Error(`migrations in threads: ${f} does not hold the rows`)
        await removeAll(fs)
        return { ms }
      },
      async serial(r) {
        const fs = files(`ser${r}`)
        const ms = await timed(async () => { for (const f of fs) migrateHere(f) })
        if (r === 'warm') for (const f of fs) if (rowsIn(f) !== KIND_ROWS) throw new Error(`migrations one after another: ${f} does not hold the rows`)
        await removeAll(fs)
        return { ms }
      },
    }
    const t = { workerdb: [], drop: [], copyFile: [], threads: [], serial: [] }
    // One round untimed first (each way's first call pays for loading and compiling its code), as a project's runs after its first.
    for (const way of Object.keys(ways)) await ways[way]('warm')
    // Copies take milliseconds, so each rep times them SQLITE_COPY_ROUNDS times (alternating; the rep's figure is
    // their median) and the migrations, which take half a second or more, once.
    const groups = [['copies', async (r) => {
      const c = { workerdb: [], drop: [], copyFile: [] }
      for (let i = 0; i < SQLITE_COPY_ROUNDS; i++) {
        for (const way of (r + i) % 2 ? ['copyFile', 'workerdb'] : ['workerdb', 'copyFile']) {
          spawnSyncText('sync', [])
          const x = await ways[way](`${r}r${i}`)
          c[way].push(x.ms)
          if (x.dropMs !== undefined) c.drop.push(x.dropMs)
        }
      }
      for (const [k, v] of Object.entries(c)) t[k].push(median(v))
    }], ...['threads', 'serial'].map((way) => [way, async (r) => {
      spawnSyncText('sync', [])
      t[way].push((await ways[way](r)).ms)
    }])]
    const more = repsLoop(REPS)
    for (let r = 0; more(r); r++) {
      // Each rep starts with the next group: none always runs first (or right after another's files went). Each
      // contender starts with nothing left to write back of the one before (dirty pages stall copies at random).
      for (const [, run] of [...groups.slice(r % groups.length), ...groups.slice(0, r % groups.length)]) await run(r)
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]))
    const best = m.threads <= m.serial ? 'threads' : 'serial'
    return {
      work: { schema: KIND_SCHEMA, bytes, templateMb: r1(bytes / 1048576), buildMs: r0(buildMs) },
      fsType: ctx.fsType, copy: plan.label, reflink: plan.label === 'reflink',
      workerdbMs: r1(m.workerdb), dropMs: r1(m.drop), copyFileMs: r1(m.copyFile),
      overheadMs: r1(m.workerdb - m.copyFile), overheadRatio: r2(m.workerdb / m.copyFile),
      migrate: { threadsMs: r0(m.threads), serialMs: r0(m.serial), best, bestMs: r0(m[best]) },
      speedupVsMigrate: r1(m[best] / m.workerdb),
    }
  } finally {
    await Promise.all(threads.map((w) => w.terminate()))
    for (const { name } of await admin.list(PREFIX).catch(() => [])) await admin.drop(name).catch(() => {})
  }
}

// ── main ───────────────────────────────────────────────────────────────────────────────────────────────
function git(...a) {
  const r = spawnSyncText('git', a)
  return r
}
function spawnSyncText(cmd, a) {
  try {
    return createRequire(import.meta.url)('node:child_process').execFileSync(cmd, a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

async function reachable(url) {
  try {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
    c.on('error', () => {})
    await c.connect()
    await c.end()
    return true
  } catch {
    return false
  }
}

const result = {
  schema: 1,
  status: 'running',
  startedAt: new Date(started).toISOString(),
  commit: git('rev-parse', '--short=12', 'HEAD'),
  dirty: Boolean(git('status', '--porcelain', '--untracked-files=no')),
  node: process.version,
  cores: availableParallelism(),
  load: { start: loadavg().map(r2) },
  reps: REPS,
  rowsAsked: ONLY,
  full: ALL_ROWS.every((r) => ONLY.includes(r)),
  work: {
    schema: SCHEMA,
    suite: { files: SUITE_FILES, transactionsPerFile: SUITE_TX, queriesPerTransaction: QUERIES_PER_TX, queries: SUITE_FILES * SUITE_TX * QUERIES_PER_TX },
  },
  servers: {},
  rows: {},
  skipped: [],
  errors: [],
}

/**
 * With --update, the record at --out keeps its run and its other rows; the rows measured now replace theirs,
 * and `updates` says which rows a later run re-measured, when, at which commit.
 */
const base = UPDATE ? (existsSync(OUT) ? JSON.parse(readFileSync(OUT, 'utf8')) : undefined) : undefined
if (UPDATE && !base) throw new Error(`--update: there is no record at ${OUT} to update`)

function merged() {
  if (!base) return result
  const { rows, servers, ...run } = result
  const mergedRows = { ...base.rows }
  for (const [row, byServer] of Object.entries(rows)) mergedRows[row] = { ...base.rows[row], ...byServer }
  // An earlier update keeps only the rows still its own: a row measured again now is this run's.
  const earlier = (base.updates ?? []).map((u) => ({ ...u, rows: u.rows.filter((r) => !(r in rows)) })).filter((u) => u.rows.length)
  return { ...base, servers: { ...base.servers, ...servers }, rows: mergedRows, updates: [...earlier, { ...run, rows: Object.keys(rows) }] }
}

function save() {
  result.durationS = Math.round(elapsed() / 1000)
  mkdirSync(dirname(OUT), { recursive: true })
  const tmp = `${OUT}.tmp-${process.pid}`
  writeFileSync(tmp, JSON.stringify(merged(), null, 2) + '\n')
  renameSync(tmp, OUT)
}

const work = mkdtempSync(join(tmpdir(), 'workerdb-bench-'))
let embedded
let container
let mysqlCtx
let mysqlContainerCtx
/** The mysql row's servers as workerdb starts them itself (own-mariadb, own-mysql): key → context. */
const ownMysqlCtx = {}
let sqliteCtx
const servers = {} // key → admin url
let interrupted = false
let cut = false
setTimeout(() => {
  cut = true
  process.stderr.write(`bench: ${HARD_MS / 1000} s: cutting the row under way\n`)
  killAll()
}, HARD_MS).unref()
const onSignal = (sig) => {
  if (interrupted) return
  interrupted = true
  process.stderr.write(`bench: ${sig}: ending child runs, cleaning up\n`)
  killAll()
  result.status = 'interrupted'
  result.load.end = loadavg().map(r2)
  try { save() } catch { /* nothing more to do */ }
  // Databases and the embedded server go in the finally below, once the current await fails or ends.
  setTimeout(() => process.exit(130), 60_000).unref()
}
process.on('SIGINT', () => onSignal('SIGINT'))
process.on('SIGTERM', () => onSignal('SIGTERM'))

// Time shares: each (row, server) gets its weight's share of what is left of the budget; past it, a row
// stops after the rep under way (at least one), and its record says how many reps it took.
const WEIGHTS = { config: 0.5, strategy: 1, fsync: 1, cold: 2.5, naive: 2.5, warm: 1, suite: 3, jest: 2, reset: 1, zeroconfig: 1.5, overhead: 1.5, scaling: 0.5, mysql: 1.5, sqlite: 0.5 }
let planned = []
let rowDeadline = Infinity
let rowReps = []
/** For a loop of reps: `for (let r = 0; more(r); r++)`. */
function repsLoop(count = REPS) {
  let done = 0
  rowReps.push(() => done)
  return (r) => {
    const go = r < count && (r === 0 || Date.now() < rowDeadline) && !interrupted && !cut
    if (go) done = r + 1
    return go
  }
}

/**
 * The container answers one question, what a run costs on it against the other servers: the rows a run is
 * made of. The rest (strategy, suite, reset…) measure the server's PostgreSQL, which the URL row already has.
 */
const CONTAINER_ROWS = ['cold', 'warm']
const runsOn = (row, serverKey) => serverKey !== 'container' || CONTAINER_ROWS.includes(row)

/** Measures one row on one server and records it at once. */
async function measure(row, serverKey, f) {
  if (!runsOn(row, serverKey)) return
  const weightLeft = planned.reduce((a, [r]) => a + WEIGHTS[r], 0)
  planned = planned.filter(([r, k]) => !(r === row && k === serverKey))
  if (interrupted) return
  if (cut) {
    result.skipped.push({ row, server: serverKey, why: `past the ${HARD_MS / 1000} s limit` })
    save()
    return
  }
  rowDeadline = Date.now() + (BUDGET_MS - elapsed()) * (WEIGHTS[row] / Math.max(weightLeft, WEIGHTS[row]))
  rowReps = []
  if (elapsed() > BUDGET_MS) {
    result.skipped.push({ row, server: serverKey, why: `over the ${BUDGET_MS / 1000} s budget` })
    say(`${row.padEnd(10)} [${serverKey}] skipped: over the ${BUDGET_MS / 1000} s budget`)
    save()
    return
  }
  const t0 = Date.now()
  try {
    const value = await f()
    result.rows[row] ??= {}
    const repsDone = Math.min(...rowReps.map((d) => d()))
    result.rows[row][serverKey] = { ...value, repsDone: Number.isFinite(repsDone) ? repsDone : REPS, at: new Date().toISOString(), load1: r2(loadavg()[0]), rowS: Math.round((Date.now() - t0) / 1000) }
    return value
  } catch (err) {
    if (interrupted) return
    if (cut) {
      result.skipped.push({ row, server: serverKey, why: `cut at the ${HARD_MS / 1000} s limit` })
      if (servers[serverKey]) await dropOurs(servers[serverKey]).catch(() => {})
      return
    }
    result.errors.push({ row, server: serverKey, message: String(err.message ?? err).slice(0, 2000) })
    say(`${row.padEnd(10)} [${serverKey}] FAILED: ${String(err.message ?? err).split('\n')[0]}`)
    // A PostgreSQL server's databases of this run; the other kinds' rows clean up in their own finally.
    if (servers[serverKey]) await dropOurs(servers[serverKey]).catch(() => {})
  } finally {
    save()
  }
}

try {
  // No PostgreSQL server is started for a run of rows that use none (--only mysql,sqlite).
  const serverKeys = ONLY.some((r) => ALL_ROWS.includes(r) && !NOT_PG_ROWS.includes(r)) ? flag('servers', 'embedded,url').split(',') : []
  if (serverKeys.includes('embedded')) {
    embedded = await core.startEmbedded({}, core.createLogger({ silent: true }))
    servers.embedded = embedded.adminUrl
  }
  const image = flag('image', process.env.WORKERDB_TESTCONTAINERS_IMAGE || 'workerdb/postgres:15-local')
  let containerStartMs
  if (serverKeys.includes('container')) {
    // Ryuk cannot be pulled without a registry; workerdb's guard removes the container if the bench dies.
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
    const t0 = performance.now()
    try {
      container = await core.startTestcontainers({ image }, core.createLogger({ silent: true }), { dirs: [join(root, 'e2e', 'fixtures', 'testcontainers')] })
      containerStartMs = r0(performance.now() - t0)
      servers.container = container.adminUrl
    } catch (err) {
      result.skipped.push({ row: '*', server: 'container', why: String(err.message ?? err).split('\n')[0] })
    }
  }
  if (serverKeys.includes('url')) {
    const url = flag('url', process.env.WORKERDB_URL) ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
    if (await reachable(url)) servers.url = url
    else result.skipped.push({ row: '*', server: 'url', why: `no server answers at ${core.redactUrl ? core.redactUrl(url) : new URL(url).host}` })
  }
  for (const [key, url] of Object.entries(servers)) {
    const a = await client(url)
    const { rows: [v] } = await a.query("select current_setting('server_version') as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc, current_setting('full_page_writes') as fpw")
    await a.end()
    const u = new URL(url)
    result.servers[key] = {
      label: key === 'embedded' ? `embedded PostgreSQL ${v.version.split(' ')[0]} (started by the bench, fsync off, RAM disk)`
        : key === 'container' ? `PostgreSQL ${v.version.split(' ')[0]} in a container (${image} via testcontainers, started by the bench in ${containerStartMs} ms, fsync ${v.fsync})`
          : `PostgreSQL ${v.version.split(' ')[0]} at ${u.hostname}:${u.port || 5432} (fsync ${v.fsync})`,
      version: v.version.split(' ')[0], fsync: v.fsync, synchronousCommit: v.sc, fullPageWrites: v.fpw, kind: key,
      ...(key === 'container' ? { image, startMs: containerStartMs } : {}),
      ...(key === 'url' ? { host: `${u.hostname}:${u.port || 5432}`, from: flag('url') ? '--url' : process.env.WORKERDB_URL ? 'WORKERDB_URL' : 'default (127.0.0.1:5432)' } : {}),
    }
  }
  /** Closed whatever happened: an open connection would keep the bench from exiting. */
  const closing = (ctx) => async () => {
    try {
      await dropOursMysql(ctx.admin)
    } finally {
      await ctx.mon.end().catch(() => ctx.mon.destroy())
      await ctx.admin.close()
    }
  }
  if (ONLY.includes('mysql') || ONLY.includes('reset')) {
    try {
      mysqlCtx = await openMysql(MYSQL_URL, { from: flag('mysql-url') ? '--mysql-url' : process.env.WORKERDB_TEST_MYSQL_URL ? 'WORKERDB_TEST_MYSQL_URL' : 'default (127.0.0.1:3306)' })
      result.servers.mysql = mysqlCtx.server
      otherCleanups.push(closing(mysqlCtx))
    } catch (err) {
      result.skipped.push({ row: 'mysql', server: 'mysql', why: `no MariaDB ≥ 10.5 to use at ${MYSQL_URL.replace(/\/\/[^@/]*@/, '//')}: ${String(err.message ?? err).split('\n')[0]}` })
      say(`mysql [mysql] skipped: ${result.skipped.at(-1).why}`)
    }
  }
  // MySQL beside it, for the mysql row: a container of the local MySQL image, with MySQL's defaults but for
  // the binary log (MariaDB's here keeps none), started as the tests start theirs and removed however the bench ends.
  if (ONLY.includes('mysql')) {
    const { startMysqlContainer, mysqlAnswers, MYSQL_IMAGE } = await jiti.import('../test-support/mysql-server.ts')
    // The tests' MySQL image (WORKERDB_TEST_MYSQL_IMAGE, else the local one) unless --mysql-image names another.
    const mysqlImage = flag('mysql-image', MYSQL_IMAGE)
    const started = startMysqlContainer(mysqlImage, ['--skip-log-bin'])
    if (typeof started === 'string') {
      result.skipped.push({ row: 'mysql', server: 'mysql-container', why: started })
      say(`mysql [mysql-container] skipped: ${started}`)
    } else {
      otherCleanups.push(async () => started.remove())
      try {
        await mysqlAnswers(started.url)
        mysqlContainerCtx = await openMysql(started.url, { from: `a container the bench started (--mysql-image ${mysqlImage})`, container: { ...started, image: mysqlImage } })
        result.servers['mysql-container'] = mysqlContainerCtx.server
        otherCleanups.push(closing(mysqlContainerCtx))
      } catch (err) {
        result.skipped.push({ row: 'mysql', server: 'mysql-container', why: String(err.message ?? err).split('\n')[0] })
        say(`mysql [mysql-container] skipped: ${result.skipped.at(-1).why}`)
      }
    }
  }
  // MariaDB and MySQL as a run with `dialect: 'mysql'` and no URL starts them (server/testcontainers.ts): its
  // fast settings, its data dir in memory (containerMemory), the tests' local images.
  if (ONLY.includes('mysql')) {
    const { startMysqlContainer, mysqlAnswers, MYSQL_IMAGE, MARIADB_IMAGE } = await jiti.import('../test-support/mysql-server.ts')
    const tc = await jiti.import('../packages/core/src/server/testcontainers.ts')
    const own = [
      { key: 'own-mariadb', kind: 'mariadb', image: flag('mariadb-image', MARIADB_IMAGE), args: tc.MARIADB_FAST_ARGS },
      { key: 'own-mysql', kind: 'mysql', image: flag('mysql-image', MYSQL_IMAGE), args: tc.MYSQL_FAST_ARGS },
    ]
    for (const { key, kind, image, args: serverArgs } of own) {
      const tmpfs = Object.entries(tc.containerMemory(kind, undefined)).flatMap(([dir, options]) => ['--tmpfs', `${dir}:${options}`])
      const started = startMysqlContainer(image, serverArgs, tmpfs)
      if (typeof started === 'string') {
        result.skipped.push({ row: 'mysql', server: key, why: started })
        say(`mysql [${key}] skipped: ${started}`)
        continue
      }
      otherCleanups.push(async () => started.remove())
      try {
        await mysqlAnswers(started.url)
        const ctx = await openMysql(started.url, { from: `a container the bench started as workerdb starts one (${image})`, container: { ...started, image }, own: { settings: serverArgs, memory: tmpfs.length > 0 } })
        ownMysqlCtx[key] = ctx
        result.servers[key] = ctx.server
        otherCleanups.push(closing(ctx))
      } catch (err) {
        result.skipped.push({ row: 'mysql', server: key, why: String(err.message ?? err).split('\n')[0] })
        say(`mysql [${key}] skipped: ${result.skipped.at(-1).why}`)
      }
    }
  }
  if (ONLY.includes('sqlite') || ONLY.includes('reset')) {
    try {
      sqliteCtx = await openSqlite()
      result.servers.sqlite = sqliteCtx.server
      otherCleanups.push(() => sqliteCtx.admin.close())
    } catch (err) {
      result.skipped.push({ row: 'sqlite', server: 'sqlite', why: String(err.message ?? err).split('\n')[0] })
      say(`sqlite [sqlite] skipped: ${result.skipped.at(-1).why}`)
    }
  }
  save()
  say(`workerdb bench · ${[...Object.values(result.servers).map((s) => s.label), `${result.cores} cores`].join(' · ')} · median of ${REPS} · load ${result.load.start.join(' ')} · results → ${relative(process.cwd(), OUT)}`)
  const keys = Object.keys(servers)
  for (const row of ALL_ROWS.filter((r) => ONLY.includes(r))) {
    if (row === 'zeroconfig') planned.push([row, 'own-embedded'])
    else if (row === 'fsync') planned.push([row, 'embedded-disk'])
    else if (row === 'config') planned.push([row, 'none'])
    else if (row === 'overhead' || row === 'scaling') { if (servers.embedded) planned.push([row, 'embedded']) }
    else if (row === 'mysql') { for (const [key] of mysqlServers()) planned.push([row, key]) }
    else if (row === 'sqlite') { if (sqliteCtx) planned.push([row, 'sqlite']) }
    else if (row === 'reset') {
      for (const k of keys) if (runsOn(row, k)) planned.push([row, k])
      if (mysqlCtx) planned.push([row, 'mysql'])
      if (sqliteCtx) planned.push([row, 'sqlite'])
    }
    else for (const k of keys) if (runsOn(row, k)) planned.push([row, k])
  }
  const sqlDir = join(work, 'migrations'); writeSqlMigrations(sqlDir)
  const knexDir = knexPackageDir()
  const knexMigDir = join(work, 'knex-migrations'); writeKnexMigrations(knexMigDir)
  if (knexDir) {
    // workerdb's knex adapter loads the project's knex: this folder is the project.
    mkdirSync(join(work, 'node_modules'), { recursive: true })
    symlinkSync(knexDir, join(work, 'node_modules', 'knex'), 'dir')
  }

  if (ONLY.includes('config')) {
    const c = await measure('config', 'none', () => configRow(work))
    if (c) say(`config [none] load per form: ${Object.entries(c.loadMs).map(([form, v]) => `${form} ${v} ms`).join(' · ')}`)
  }

  if (ONLY.includes('strategy')) {
    for (const key of keys) {
      const s = await measure('strategy', key, () => strategyRow(servers[key]))
      if (s) say(`strategy [${key}] ${s.templateMb} MB template, per clone with 4 at once (create + drop): WAL_LOG ${s.WAL_LOG.perCloneMs} ms (${s.WAL_LOG.createFourMs} + ${s.WAL_LOG.dropFourMs}) · FILE_COPY ${s.FILE_COPY.perCloneMs} ms (${s.FILE_COPY.createFourMs} + ${s.FILE_COPY.dropFourMs}) · one alone: WAL_LOG ${s.WAL_LOG.createOneMs}+${s.WAL_LOG.dropOneMs}, FILE_COPY ${s.FILE_COPY.createOneMs}+${s.FILE_COPY.dropOneMs} ms · CHECKPOINT ${s.checkpointMs} ms`)
    }
  }

  if (ONLY.includes('fsync')) {
    await measure('fsync', 'embedded-disk', async () => {
      // Servers of our own, on disk as a CI service container's data is.
      const started = []
      try {
        for (const settings of [DURABLE, NOT_DURABLE]) started.push(await core.startEmbedded({ memory: false, settings }, core.createLogger({ silent: true })))
        const f = await fsyncRow({ on: started[0].adminUrl, off: started[1].adminUrl, ...(servers.embedded ? { ram: servers.embedded } : {}) })
        say(`fsync [embedded-disk] fsync on: migration ${f.on.migrateMs} ms, per clone ${f.on.perCloneMs} ms (${f.on.fasterStrategy}) · fsync off: migration ${f.off.migrateMs} ms, per clone ${f.off.perCloneMs} ms (${f.off.fasterStrategy}) · ${f.perCloneRatio}× per clone, ${f.migrateRatio}× per migration${f.ram ? ` · RAM disk, fsync off: migration ${f.ram.migrateMs} ms, per clone ${f.ram.perCloneMs} ms (${f.ramPerCloneRatio}× per clone)` : ''}`)
        return f
      } finally {
        for (const server of started) await server.stop()
      }
    })
  }

  if (ONLY.includes('cold')) {
    for (const key of keys) {
      await measure('cold', key, async () => {
        const url = servers[key]
        const byN = {}
        for (const n of NS) {
          const f = { WAL_LOG: [], FILE_COPY: [] }; const fd = { WAL_LOG: [], FILE_COPY: [] }; const w = []; const wEnd = []; let strategy
          const other = []; const otherEnd = []
          const more = repsLoop(REPS)
          for (let r = 0; more(r); r++) {
            for (const s of r % 2 ? ['FILE_COPY', 'WAL_LOG'] : ['WAL_LOG', 'FILE_COPY']) {
              const x = await floor(url, n, `c${n}_${r}_${s[0]}`, s)
              f[s].push(x.ms); fd[s].push(x.dropMs)
            }
            const run = await workerdbRun(url, { sql: sqlDir }, work, n, `cold-${n}-${r}-${Date.now()}`)
            w.push(run.ms); wEnd.push(run.endMs); strategy = run.strategy
            await dropOurs(url, PREFIX)
            // workerdb forced to the strategy it did not choose: whether its choice is the right one here.
            const o = await workerdbRun(url, { sql: sqlDir }, work, n, `coldo-${n}-${r}-${Date.now()}`, { cloneStrategy: strategy === 'WAL_LOG' ? 'FILE_COPY' : 'WAL_LOG' })
            other.push(o.ms); otherEnd.push(o.endMs)
            await dropOurs(url, PREFIX)
          }
          const best = median(f.WAL_LOG) <= median(f.FILE_COPY) ? 'WAL_LOG' : 'FILE_COPY'
          byN[n] = {
            workerdbMs: r0(median(w)), workerdbEndMs: r0(median(wEnd)), workerdbStrategy: strategy,
            floorMs: r0(median(f[best])), floorStrategy: best,
            floorByStrategy: { WAL_LOG: { ms: r0(median(f.WAL_LOG)), dropMs: r0(median(fd.WAL_LOG)) }, FILE_COPY: { ms: r0(median(f.FILE_COPY)), dropMs: r0(median(fd.FILE_COPY)) } },
            ratioToFloor: r2(median(w) / median(f[best])),
            reps: w.length,
            workerdbOtherStrategy: { strategy: strategy === 'WAL_LOG' ? 'FILE_COPY' : 'WAL_LOG', ms: r0(median(other)), endMs: r0(median(otherEnd)) },
          }
          say(`cold  [${key}] N=${n}: workerdb ${byN[n].workerdbMs} ms (${strategy}; teardown ${byN[n].workerdbEndMs} ms) vs floor ${byN[n].floorMs} ms (${best}; WAL_LOG ${byN[n].floorByStrategy.WAL_LOG.ms}, FILE_COPY ${byN[n].floorByStrategy.FILE_COPY.ms}) → ${byN[n].ratioToFloor}× · workerdb forced to ${byN[n].workerdbOtherStrategy.strategy}: ${byN[n].workerdbOtherStrategy.ms} ms (teardown ${byN[n].workerdbOtherStrategy.endMs} ms)`)
        }
        return { byN }
      })
    }
  }

  if (ONLY.includes('suite')) {
    for (const key of keys) {
      const s = await measure('suite', key, () => suiteRow(servers[key], work, key))
      if (s) say(`suite [${key}] ${SUITE_FILES} files × ${SUITE_TX} tx: serial ${s.serialMs} ms · workerdb 2 workers ${s.workerdbMs} ms (${s.speedup}×; spares ${s.withSparesMs} ms, ${s.speedupWithSpares}×) · hand-made ceiling ${s.ceilingMs} ms (${s.ceilingSpeedup}×)`)
    }
  }

  if (ONLY.includes('jest')) {
    for (const key of keys) {
      const s = await measure('jest', key, () => jestRow(servers[key], work, key))
      if (s) say(`jest  [${key}] jest ${s.jest}, ${SUITE_FILES} files × ${SUITE_TX} tx: in band ${s.serialMs} ms · workerdb 2 workers ${s.workerdbMs} ms (${s.speedup}×) · hand-made ceiling ${s.ceilingMs} ms (${s.ceilingSpeedup}×)`)
    }
  }

  if (ONLY.includes('reset')) {
    for (const key of keys) {
      const s = await measure('reset', key, () => resetRow(servers[key], work))
      if (s) say(`reset [${key}] per test, ${s.tables} tables: nothing written ${s.noopMs} ms · one dirty table ${s.oneTableMs} ms · TRUNCATE of all ${s.tables} in beforeEach ${s.truncateAllMs} ms (${s.truncateAllVsNoop}× the clean check) · per-file path (connect + check) ${s.freshCheckMs} ms · a test transaction (BEGIN + ROLLBACK) ${s.transactionMs} ms`)
    }
    for (const [key, ctx] of [['mysql', mysqlCtx], ['sqlite', sqliteCtx]]) {
      if (!ctx) continue
      const s = await measure('reset', key, () => kindResetRow(key, ctx))
      if (s) say(`reset [${key}] per test, ${s.tables} tables: nothing written ${s.noopMs} ms · one dirty table ${s.oneTableMs} ms · ${s.allLabel} ${s.truncateAllMs} ms (${s.truncateAllVsNoop}× the clean check) · per-file path (connect + check) ${s.freshCheckMs} ms · a test transaction (BEGIN + ROLLBACK) ${s.transactionMs} ms`)
    }
  }

  if (ONLY.includes('zeroconfig')) {
    await measure('zeroconfig', 'own-embedded', async () => {
      const dir = join(work, 'zeroconfig')
      writeProject(dir, { files: SUITE_FILES, db: true, plugin: true, maxWorkers: 2, zeroConfig: true })
      const runs = []
      let summary
      const more = repsLoop(REPS)
      for (let r = 0; more(r); r++) {
        const x = await vitestRun(dir, {})
        runs.push(x.ms); summary = x.summary
      }
      const res = {
        ms: r0(median(runs)), server: summary?.server, serverMs: summary ? r0(summary.serverMs) : undefined,
        templateMs: summary?.template ? r0(summary.template.ms ?? 0) : undefined, clonesMs: summary ? r0(summary.clonesMs) : undefined, strategy: summary?.strategy,
      }
      const serial = result.rows.suite?.embedded?.serialMs
      if (serial) res.speedupVsEmbeddedSerial = r2(serial / res.ms)
      say(`zero-config vitest run (own embedded server, cold template): ${res.ms} ms end to end (server ${res.serverMs} ms, template ${res.templateMs} ms, clones ${res.clonesMs} ms)${serial ? ` · ${res.speedupVsEmbeddedSerial}× the serial run on the bench's embedded server` : ''}`)
      return res
    })
  }

  if (ONLY.includes('warm')) {
    for (const key of keys) {
      await measure('warm', key, async () => {
        const url = servers[key]
        const n = 4
        const keyWith = `warm-s-${Date.now()}`; const keyWithout = `warm-c-${Date.now()}`
        await workerdbRun(url, { sql: sqlDir }, work, n, keyWith, { spares: true, background: true }) // builds the template, leaves the spares
        await workerdbRun(url, { sql: sqlDir }, work, n, keyWithout)
        const runs = { with: [], without: [] }
        const more = repsLoop(K)
        for (let r = 0; more(r); r++) {
          for (const kind of r % 2 ? ['without', 'with'] : ['with', 'without']) {
            runs[kind].push(await workerdbRun(url, { sql: sqlDir }, work, n, kind === 'with' ? keyWith : keyWithout, { spares: kind === 'with', background: true }))
          }
        }
        await dropOurs(url, PREFIX)
        const sum = (xs) => xs.reduce((a, b) => a + b, 0)
        const of = (xs) => ({
          startMs: r1(median(xs.map((x) => x.ms))), endMs: r1(median(xs.map((x) => x.endMs))),
          totalMs: r0(sum(xs.map((x) => x.ms + x.endMs))), backgroundMs: r1(median(xs.map((x) => x.backgroundMs))),
          backgroundTotalMs: r0(sum(xs.map((x) => x.backgroundMs))), migrationsRun: sum(xs.map((x) => x.migrationsRun ?? 0)),
          fromSpares: r1(sum(xs.map((x) => x.fromSpares)) / xs.length),
        })
        const res = { n, k: runs.with.length, withSpares: of(runs.with), withoutSpares: of(runs.without) }
        say(`warm  [${key}] N=${n}, ${res.k} runs: spares start ${res.withSpares.startMs} ms + end ${res.withSpares.endMs} ms (total ${res.withSpares.totalMs} ms) · no spares start ${res.withoutSpares.startMs} + end ${res.withoutSpares.endMs} ms (total ${res.withoutSpares.totalMs} ms) · migrations run ${res.withSpares.migrationsRun + res.withoutSpares.migrationsRun}`)
        return res
      })
    }
  }

  if (ONLY.includes('naive')) {
    for (const key of keys) {
      await measure('naive', key, async () => {
        const url = servers[key]
        const byN = {}
        for (const n of NS) {
          const t = { sql: [], knex: [], wdbSql: [], wdbKnex: [] }
          const coldN = result.rows.cold?.[key]?.byN?.[n]
          const more = repsLoop(REPS)
          for (let r = 0; more(r); r++) {
            t.sql.push(await naiveSql(url, n, `s${n}_${r}`))
            // workerdb with raw SQL is the cold row's figure when that row ran (the same work): not measured twice.
            if (!coldN) {
              t.wdbSql.push((await workerdbRun(url, { sql: sqlDir }, work, n, `nsql-${n}-${r}-${Date.now()}`)).ms)
              await dropOurs(url, PREFIX)
            }
            if (knexDir) {
              t.knex.push(await naiveKnex(url, n, `k${n}_${r}`, knexDir, knexMigDir))
              t.wdbKnex.push((await workerdbRun(url, { knex: knexMigDir }, work, n, `nknex-${n}-${r}-${Date.now()}`)).ms)
              await dropOurs(url, PREFIX)
            }
          }
          const m = Object.fromEntries(Object.entries(t).filter(([, v]) => v.length).map(([k, v]) => [k, r0(median(v))]))
          if (coldN) m.wdbSql = coldN.workerdbMs
          byN[n] = {
            reps: t.sql.length,
            sql: { naiveMs: m.sql, workerdbMs: m.wdbSql, workerdbFrom: coldN ? 'cold row' : 'this row', speedup: r2(m.sql / m.wdbSql) },
            ...(knexDir ? { knex: { naiveMs: m.knex, workerdbMs: m.wdbKnex, speedup: r2(m.knex / m.wdbKnex) } } : {}),
          }
          say(`naive [${key}] N=${n}: raw SQL ${m.sql} ms vs workerdb ${m.wdbSql} ms → ${byN[n].sql.speedup}×${knexDir ? ` · Knex ${m.knex} ms vs workerdb with Knex ${m.wdbKnex} ms → ${byN[n].knex.speedup}×` : ' · Knex not found (examples/jest-knex): skipped'}`)
        }
        return { byN, knex: Boolean(knexDir) }
      })
    }
  }

  if (ONLY.includes('scaling') && servers.embedded) {
    await measure('scaling', 'embedded', async () => {
      const key = `scale-${Date.now()}`
      await workerdbRun(servers.embedded, { sql: sqlDir }, work, 1, key)
      const points = []
      for (const n of [1, 2, 4, 8, 16]) {
        const runs = []
        const more = repsLoop(REPS)
        for (let r = 0; more(r); r++) runs.push(await workerdbRun(servers.embedded, { sql: sqlDir }, work, n, key))
        points.push({ n, ms: r1(median(runs.map((x) => x.ms))), peakRssMb: Math.max(...runs.map((x) => x.peakRssMb)) })
      }
      await dropOurs(servers.embedded, PREFIX)
      const fit = linearFit(points.map((s) => [s.n, s.ms]))
      const res = { points, fixedMs: r0(fit.intercept), perCloneMs: r1(fit.slope), r2: r2(fit.r2) }
      say(`scale [embedded] ${points.map((p) => `N=${p.n} ${r0(p.ms)} ms`).join(', ')} ≈ ${res.fixedMs} ms + ${res.perCloneMs} ms per clone (r² ${res.r2})`)
      return res
    })
  }

  if (ONLY.includes('overhead') && servers.embedded) {
    await measure('overhead', 'embedded', async () => {
      // The cost per test file (the setup file every file runs) is the slope between a small and a large
      // no-DB suite; what workerdb costs once per run (load, round trips, clones, drops) is the rest.
      const sizes = flag('overhead-files', '8,32').split(',').map(Number)
      const dirs = {}
      for (const files of sizes) {
        for (const [kind, opts] of [['with', { plugin: true }], ['without', { plugin: false }], ['emptySetup', { plugin: false, emptySetupFile: true }]]) {
          dirs[`${kind}${files}`] = join(work, `ovh-${kind}-${files}`)
          writeProject(dirs[`${kind}${files}`], { files, db: false, maxWorkers: 2, ...opts })
        }
      }
      const env = (k) => (k.startsWith('with') ? { WORKERDB_URL: servers.embedded } : {})
      await vitestRun(dirs[`with${sizes[0]}`], env('with')) // builds the template: the measured runs are warm
      const times = Object.fromEntries(Object.keys(dirs).map((k) => [k, []]))
      const more = repsLoop(REPS)
      for (let r = 0; more(r); r++) for (const k of Object.keys(dirs)) times[k].push((await vitestRun(dirs[k], env(k))).ms)
      await dropOurs(servers.embedded, PREFIX)
      const t = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
      const [small, large] = sizes
      const perFile = (kind) => (t[`${kind}${large}`] - t[`${kind}${small}`]) / (large - small)
      const o = {
        files: sizes, ratio: r2(perFile('with') / perFile('without')),
        perFileMs: { with: r1(perFile('with')), without: r1(perFile('without')), emptySetupFile: r1(perFile('emptySetup')) },
        ratioToEmptySetupFile: r2(perFile('with') / perFile('emptySetup')),
        perRunMs: r0((t[`with${small}`] - small * perFile('with')) - (t[`without${small}`] - small * perFile('without'))),
        small: { withMs: r0(t[`with${small}`]), withoutMs: r0(t[`without${small}`]), ratio: r2(t[`with${small}`] / t[`without${small}`]) },
        large: { withMs: r0(t[`with${large}`]), withoutMs: r0(t[`without${large}`]), ratio: r2(t[`with${large}`] / t[`without${large}`]) },
      }
      say(`overhead [embedded] per test file: ${o.ratio}× (${o.perFileMs.with} vs ${o.perFileMs.without} ms; empty setup file ${o.perFileMs.emptySetupFile} ms) · once per run: ${o.perRunMs} ms`)
      return o
    })
  }

  for (const [key, ctx] of mysqlServers()) {
    if (!ONLY.includes('mysql')) continue
    const m = await measure('mysql', key, () => mysqlRow(ctx))
    if (m) {
      const cpu = m.four.copyCpu
      say(`mysql [${key}] ${m.work.templateMb} MiB template (built in ${m.work.buildMs} ms, definitions read in ${m.work.planMs} ms) · one clone: workerdb ${m.one.copyMs} ms vs mysqldump | mysql ${m.one.dumpMs ?? '–'} ms (${m.one.ratio ?? '–'}×; InnoDB fsyncs ${m.one.copyFsyncs} vs ${m.one.dumpFsyncs ?? '–'}) · 4 at once: ${m.four.copyMs} vs ${m.four.dumpMs ?? '–'} ms (${m.four.ratio ?? '–'}×, goal ≥ ${m.goal}×${m.goalMet === undefined ? '' : m.goalMet ? ': met' : ': NOT met'}) · drop: 1 ${m.one.dropMs} ms, 4 ${m.four.dropMs} ms${cpu.machineCores !== undefined ? ` · during workerdb's 4 copies: server ${cpu.serverCores ?? '–'} cores, machine ${cpu.machineCores} of ${m.cores}, iowait ${cpu.iowaitPct}%` : ''}${m.four.cpuFloorMs !== undefined ? ` · server CPU for the 4 copies ${m.four.copyCpu.serverCpuMsPerClone * 4} ms: on ${m.cores} cores ≥ ${m.four.cpuFloorMs} ms` : ''}${m.four.perRep ? ` · ratio per rep: one ${m.one.perRep.join(', ')}; 4 at once ${m.four.perRep.join(', ')}` : ''}${m.spares ? ` · 4 taken from spares: ${m.spares.takeFourMs} ms (${m.spares.ratio ?? '–'}× the pipelines; each spare made in ${m.spares.makeOneMs} ms beforehand)` : ''}`)
    }
  }

  if (ONLY.includes('sqlite') && sqliteCtx) {
    const q = await measure('sqlite', 'sqlite', () => sqliteRow(sqliteCtx))
    if (q) say(`sqlite [sqlite] ${q.fsType}, ${q.copy}, ${q.work.templateMb} MiB template: 4 clones by workerdb ${q.workerdbMs} ms (drop ${q.dropMs} ms) · fs.copyFile ×4 ${q.copyFileMs} ms (workerdb +${q.overheadMs} ms) · migrations into 4 fresh files ${q.migrate.bestMs} ms (${q.migrate.best}; threads ${q.migrate.threadsMs}, one after another ${q.migrate.serialMs}) → ${q.speedupVsMigrate}×`)
  }

  result.status = interrupted ? 'interrupted' : result.errors.length ? 'failed' : result.skipped.length ? 'partial' : 'complete'
} catch (err) {
  result.status = interrupted ? 'interrupted' : 'failed'
  result.errors.push({ row: '*', message: String(err.stack ?? err).slice(0, 3000) })
  process.stderr.write(`bench: ${err.stack ?? err}\n`)
  process.exitCode = 1
} finally {
  killAll()
  for (const f of otherCleanups.reverse()) await f().catch((e) => process.stderr.write(`bench: cleanup: ${e.message}\n`))
  for (const url of Object.values(servers)) await dropOurs(url).catch((e) => process.stderr.write(`bench: cleanup on ${new URL(url).host}: ${e.message}\n`))
  rmSync(work, { recursive: true, force: true })
  await embedded?.stop().catch(() => {})
  await container?.stop().catch(() => {})
  result.finishedAt = new Date().toISOString()
  result.load.end = loadavg().map(r2)
  save()
  say(`bench: ${result.status} in ${result.durationS} s · load ${result.load.start.join(' ')} → ${result.load.end.join(' ')} · ${relative(process.cwd(), OUT)}`)
  if (!args.includes('--no-readme')) {
    try {
      const changed = renderToReadme(OUT, join(root, 'docs', 'performance.md'))
      say(`bench: docs/performance.md ${changed ? 'rendered' : 'unchanged'} from ${relative(process.cwd(), OUT)}`)
    } catch (err) {
      process.stderr.write(`bench: docs/performance.md not rendered: ${err.message}\n`)
    }
  }
  if (JSON_OUT) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  if (result.status !== 'complete') process.exitCode = process.exitCode || 1
}
