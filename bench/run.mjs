#!/usr/bin/env node
/**
 * `pnpm bench` — provisioning speed measured side by side in one run, as ratios (this machine is shared
 * and noisy: absolute numbers wander, ratios taken in the same minute do not). Medians of --reps runs.
 *
 *   cold      template build + N clones, against the floor: one raw migration + N raw concurrent
 *             CREATE DATABASE … TEMPLATE from a bare `pg` client
 *   warm      the same migrations again: the template is reused (migrations run: 0)
 *   naive     each of N workers creates and migrates its own database, concurrently
 *   suite     an 8-file DB-heavy Vitest suite on 2 workers with workerdb vs serially on one database, and
 *             vs the same 2 workers on databases made by hand before the run (the ceiling)
 *   overhead  a no-DB Vitest suite with and without the plugin: per test file (8 vs 64 files) and per run
 *   scaling   provisioning time and peak RSS for N = 1…32
 *
 * Server: WORKERDB_URL (or --url), else an embedded server started here. `--json` prints one object.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { awaitDropperPids } from '../e2e/support/scenario.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const core = await import(join(root, 'packages/core/dist/index.js'))

const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}
const JSON_OUT = args.includes('--json')
// --loud: workerdb's own lines in the suite runs (shown when one fails)
const LOUD = args.includes('--loud')
const REPS = Number(flag('reps', 5))
const ONLY = flag('only', 'cold,warm,naive,suite,overhead,scaling').split(',')
const say = (line) => { if (!JSON_OUT) process.stderr.write(line + '\n') }

// ── the schema: 50 tables with indexes and seed rows, in 5 migration files ─────────────────────────────
function writeMigrations(dir) {
  mkdirSync(dir, { recursive: true })
  for (let f = 0; f < 5; f++) {
    const parts = []
    for (let t = f * 10; t < f * 10 + 10; t++) {
      const ref = t > 0 ? `, parent_id bigint references t${t - 1}(id)` : ''
      parts.push(`create table t${t} (id bigint generated always as identity primary key, name text not null, email text, amount numeric(12,2) not null default 0, status text not null default 'new', created_at timestamptz not null default now()${ref});`)
      parts.push(`create index t${t}_name_idx on t${t} (name);`)
      parts.push(`create index t${t}_status_created_idx on t${t} (status, created_at);`)
      parts.push(`insert into t${t} (name, email, amount) select 'row ' || g, 'u' || g || '@example.test', g % 1000 from generate_series(1, 2000) g;`)
    }
    writeFileSync(join(dir, `${String(f + 1).padStart(4, '0')}_tables.sql`), parts.join('\n'))
  }
}

/** Least squares y = intercept + slope·x, with r² (how well a line describes the growth). */
function linearFit(points) {
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
const q = (s) => `"${s.replace(/"/g, '""')}"`

async function client(url) {
  const c = new pg.Client({ connectionString: url })
  c.on('error', () => {})
  await c.connect()
  return c
}

async function dropDbs(adminUrl, names) {
  const c = await client(adminUrl)
  try {
    for (const n of names) {
      await c.query(`alter database ${q(n)} with is_template false`).catch(() => {})
      await c.query(`drop database if exists ${q(n)} with (force)`)
    }
  } finally {
    await c.end()
  }
}

async function runSqlDir(url, dir, files) {
  const c = await client(url)
  try {
    for (const f of files) {
      await c.query('begin')
      await c.query((await import('node:fs')).readFileSync(join(dir, f), 'utf8'))
      await c.query('commit')
    }
  } finally {
    await c.end()
  }
}

// ── the measurements ───────────────────────────────────────────────────────────────────────────────────
async function floor(adminUrl, migDir, files, n, tag) {
  const tpl = `bfl_${tag}_tpl`
  const names = Array.from({ length: n }, (_, i) => `bfl_${tag}_${i + 1}`)
  const t0 = performance.now()
  const a = await client(adminUrl)
  await a.query(`create database ${q(tpl)}`)
  await runSqlDir(withDb(adminUrl, tpl), migDir, files)
  await Promise.all(names.map(async (name) => {
    const c = await client(adminUrl)
    try { await c.query(`create database ${q(name)} template ${q(tpl)}`) } finally { await c.end() }
  }))
  const ms = performance.now() - t0
  await a.end()
  await dropDbs(adminUrl, [...names, tpl])
  return ms
}

async function naive(adminUrl, migDir, files, n, tag) {
  const names = Array.from({ length: n }, (_, i) => `bnv_${tag}_${i + 1}`)
  const t0 = performance.now()
  await Promise.all(names.map(async (name) => {
    const c = await client(adminUrl)
    try { await c.query(`create database ${q(name)}`) } finally { await c.end() }
    await runSqlDir(withDb(adminUrl, name), migDir, files)
  }))
  const ms = performance.now() - t0
  await dropDbs(adminUrl, names)
  return ms
}

function withDb(url, db) {
  const u = new URL(url)
  u.pathname = '/' + db
  return u.toString()
}

async function workerdbRun(adminUrl, migDir, n, key, { spares = false } = {}) {
  process.env.WORKERDB_URL = adminUrl
  const config = await core.resolveConfig({ server: { url: adminUrl }, migrate: { sql: migDir }, prefix: 'wdbbench', key, spares, silent: true }, migDir)
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 5)
  const t0 = performance.now()
  const run = await core.provision({ config, plan: { count: n, reason: 'bench' }, framework: 'bench', workerIdVar: 'BENCH_ID', log: core.createLogger({ silent: true }) })
  const ms = performance.now() - t0
  clearInterval(timer)
  const migrationsRun = run.summary.template.migrationsRun
  const t1 = performance.now()
  await run.teardown()
  return { ms, migrationsRun, peakRssMb: Math.round(peak / 1024 / 1024), clonesMs: run.summary.clonesMs, fromSpares: run.summary.fromSpares ?? 0, teardownMs: performance.now() - t1 }
}

async function dropTemplates(adminUrl) {
  const c = await client(adminUrl)
  const { rows } = await c.query("select datname from pg_database where starts_with(datname, 'wdbbench_')")
  await c.end()
  await dropDbs(adminUrl, rows.map((r) => r.datname))
}

// ── suite and overhead: real Vitest runs ───────────────────────────────────────────────────────────────
function writeSuite(dir, { files, db, plugin, maxWorkers, spares = false, emptySetupFile = false }) {
  mkdirSync(join(dir, 'test'), { recursive: true })
  mkdirSync(join(dir, 'migrations'), { recursive: true })
  writeFileSync(join(dir, 'migrations', '0001.sql'), 'create table items (id bigint generated always as identity primary key, n int not null, body text not null);\ncreate index items_n_idx on items (n);\n')
  if (emptySetupFile) writeFileSync(join(dir, 'empty-setup.mjs'), 'export {}\n')
  // Installed as a user has it: a bare import of a package in node_modules, which Vite's config loader
  // leaves to Node. An import by absolute path would be bundled into the config on every run (~40 ms).
  if (plugin) {
    mkdirSync(join(dir, 'node_modules', '@workerdb'), { recursive: true })
    symlinkSync(join(root, 'packages', 'vitest'), join(dir, 'node_modules', '@workerdb', 'vitest'), 'dir')
  }
  const pluginImport = plugin ? "import { workerDb } from '@workerdb/vitest'\n" : ''
  writeFileSync(join(dir, 'vitest.config.mjs'), `${pluginImport}export default {
  ${plugin ? `plugins: [workerDb({ prefix: 'wdbbsuite', migrate: { sql: './migrations' }, spares: ${spares}, silent: ${!LOUD} })],` : ''}
  test: { pool: 'forks', maxWorkers: ${maxWorkers}, fileParallelism: ${maxWorkers > 1}${emptySetupFile ? ", setupFiles: ['./empty-setup.mjs']" : ''} },
}\n`)
  for (let i = 0; i < files; i++) {
    const body = db
      ? `import pg from ${JSON.stringify(join(root, 'node_modules/pg/lib/index.js'))}
import { test, expect, afterAll } from 'vitest'
// The ceiling run hands out databases itself, by pool id; the others read DATABASE_URL.
const url = process.env.BENCH_POOL_DB_URL ? process.env.BENCH_POOL_DB_URL + process.env.VITEST_POOL_ID : process.env.DATABASE_URL
const c = new pg.Client({ connectionString: url })
await c.connect()
afterAll(() => c.end())
test('db work ${i}', async () => {
  // ~1 s of real inserts and queries
  const until = Date.now() + 1000
  let rounds = 0
  while (Date.now() < until) {
    await c.query("insert into items (n, body) select g, repeat('x', 100) from generate_series(1, 200) g")
    await c.query('select n, count(*) from items group by n order by n limit 10')
    rounds++
  }
  await c.query('delete from items')
  expect(rounds).toBeGreaterThan(0)
})\n`
      : `import { test, expect } from 'vitest'\ntest('pure ${i}', () => { let x = 0; for (let j = 0; j < 1e5; j++) x += j; expect(x).toBeGreaterThan(0) })\n`
    writeFileSync(join(dir, 'test', `f${i}.test.mjs`), body)
  }
}

async function vitestRun(dir, env) {
  const summaryFile = join(dir, 'workerdb-summary.json')
  rmSync(summaryFile, { force: true })
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir], {
    cwd: dir, env: { ...process.env, WORKERDB_SUMMARY_FILE: summaryFile, ...env }, encoding: 'utf8', timeout: Number(flag('run-timeout', 180)) * 1000, killSignal: 'SIGKILL',
  })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`vitest failed in ${dir} (exit ${r.status}, signal ${r.signal}, ${r.error?.message ?? "no spawn error"}):\n${(r.stdout + r.stderr).slice(-3000)}`)
  // The run handed its drops to a detached process: let it finish, untimed, so that it does not slow
  // the next contender down (the e2e harness's wait, which also ends one that is stuck).
  const dropperPid = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')).dropperPid : undefined
  if (dropperPid) for (const stuck of await awaitDropperPids([dropperPid])) process.stderr.write(`bench: ended ${stuck}\n`)
  return ms
}

/** Databases made and migrated by hand, outside the timed run. */
async function handMadeDbs(adminUrl, dir, names) {
  await dropDbs(adminUrl, names)
  const c = await client(adminUrl)
  try {
    for (const name of names) await c.query(`create database ${q(name)}`)
  } finally {
    await c.end()
  }
  for (const name of names) await runSqlDir(withDb(adminUrl, name), join(dir, 'migrations'), ['0001.sql'])
}

async function serialDbSuite(adminUrl, dir) {
  // The serial baseline: one database, migrated once, one worker.
  const name = 'wdbbserial_db'
  await handMadeDbs(adminUrl, dir, [name])
  try {
    return await vitestRun(dir, { DATABASE_URL: withDb(adminUrl, name) })
  } finally {
    await dropDbs(adminUrl, [name])
  }
}

async function ceilingDbSuite(adminUrl, dir) {
  // What 2 workers reach here with no provisioning at all: a database per pool id, made before the run.
  const names = ['wdbbceil_1', 'wdbbceil_2']
  await handMadeDbs(adminUrl, dir, names)
  try {
    return await vitestRun(dir, { BENCH_POOL_DB_URL: withDb(adminUrl, 'wdbbceil_') })
  } finally {
    await dropDbs(adminUrl, names)
  }
}

// ── main ───────────────────────────────────────────────────────────────────────────────────────────────
const work = mkdtempSync(join(tmpdir(), 'workerdb-bench-'))
let embedded
let adminUrl = flag('url', process.env.WORKERDB_URL)
let serverKind = 'url'
try {
  if (!adminUrl) {
    embedded = await core.startEmbedded({}, core.createLogger({ silent: true }))
    adminUrl = embedded.adminUrl
    serverKind = 'embedded'
  }
  const a = await client(adminUrl)
  const { rows: [v] } = await a.query("select current_setting('server_version') as version, current_setting('fsync') as fsync")
  await a.end()
  const migDir = join(work, 'migrations')
  writeMigrations(migDir)
  const files = (await import('node:fs')).readdirSync(migDir).sort()
  const result = { machine: { cores: availableParallelism(), postgres: v.version, fsync: v.fsync, server: serverKind }, reps: REPS }
  say(`workerdb bench · PostgreSQL ${v.version} (${serverKind}, fsync ${v.fsync}) · ${availableParallelism()} cores · median of ${REPS}`)

  if (ONLY.includes('cold') || ONLY.includes('naive') || ONLY.includes('warm')) {
    result.cold = { byN: {} }
    result.naive = { byN: {} }
    for (const n of [2, 4, 8, 16]) {
      const floors = []; const colds = []; const naives = []
      for (let r = 0; r < REPS; r++) {
        // Interleaved, so that drift on a shared machine hits every contender alike.
        floors.push(await floor(adminUrl, migDir, files, n, `${n}_${r}`))
        colds.push((await workerdbRun(adminUrl, migDir, n, `cold-${n}-${r}-${Date.now()}`)).ms)
        if (ONLY.includes('naive') && n <= 8) naives.push(await naive(adminUrl, migDir, files, n, `${n}_${r}`))
        await dropTemplates(adminUrl)
      }
      result.cold.byN[n] = { floorMs: median(floors), workerdbMs: median(colds), ratioToFloor: +(median(colds) / median(floors)).toFixed(2) }
      if (naives.length) result.naive.byN[n] = { naiveMs: median(naives), speedupCold: +(median(naives) / median(colds)).toFixed(2) }
      say(`cold  N=${String(n).padStart(2)}: workerdb ${median(colds).toFixed(0)} ms vs floor ${median(floors).toFixed(0)} ms → ${result.cold.byN[n].ratioToFloor}×${naives.length ? ` · naive ${median(naives).toFixed(0)} ms` : ''}`)
    }
    result.cold.ratioToFloor = result.cold.byN[8].ratioToFloor
  }

  if (ONLY.includes('warm')) {
    // One template per N (spares belong to a template, and each run tops them up to its own N).
    const key8 = `warm8-${Date.now()}`; const key4 = `warm4-${Date.now()}`; const keyCopy = `warmcopy-${Date.now()}`
    await workerdbRun(adminUrl, migDir, 8, key8, { spares: true }) // builds the template, leaves 8 spares
    await workerdbRun(adminUrl, migDir, 4, key4, { spares: true })
    await workerdbRun(adminUrl, migDir, 8, keyCopy)
    const warm8 = []; const warm4 = []; const copy8 = []; const spareTeardown = []; let migrationsRun = 0; let fromSpares = 0
    for (let r = 0; r < REPS; r++) {
      const w8 = await workerdbRun(adminUrl, migDir, 8, key8, { spares: true })
      warm8.push(w8.ms); migrationsRun += w8.migrationsRun ?? 0; fromSpares += w8.fromSpares; spareTeardown.push(w8.teardownMs)
      warm4.push((await workerdbRun(adminUrl, migDir, 4, key4, { spares: true })).ms)
      copy8.push((await workerdbRun(adminUrl, migDir, 8, keyCopy)).ms)
    }
    await dropTemplates(adminUrl)
    result.warm = {
      ms8: +median(warm8).toFixed(1), ms4: +median(warm4).toFixed(1), migrationsRun,
      // What spares cost and what they save: copies without them, and the end-of-run wait that makes them.
      fromSpares8: +(fromSpares / REPS).toFixed(1), ms8WithoutSpares: +median(copy8).toFixed(1), teardownMs8WithSpares: +median(spareTeardown).toFixed(1),
    }
    if (result.naive?.byN?.[4]) {
      result.naive.speedupAt4 = result.naive.byN[4].speedupCold
      result.naive.warmSpeedupAt4 = +(result.naive.byN[4].naiveMs / median(warm4)).toFixed(1)
    }
    say(`warm  N=8: ${result.warm.ms8} ms with spares (${result.warm.fromSpares8} of 8 renamed), ${result.warm.ms8WithoutSpares} ms copying; migrations run: ${migrationsRun}; spares made at teardown in ${result.warm.teardownMs8WithSpares} ms`)
    if (result.naive?.speedupAt4) say(`naive N=4: workerdb ${result.naive.speedupAt4}× faster cold, ${result.naive.warmSpeedupAt4}× warm (${result.warm.ms4} ms with spares)`)
  }

  if (ONLY.includes('suite')) {
    const withDir = join(work, 'suite-workerdb'); const serialDir = join(work, 'suite-serial'); const sparesDir = join(work, 'suite-spares')
    writeSuite(withDir, { files: 8, db: true, plugin: true, maxWorkers: 2 })
    writeSuite(sparesDir, { files: 8, db: true, plugin: true, maxWorkers: 2, spares: true })
    writeSuite(serialDir, { files: 8, db: true, plugin: false, maxWorkers: 1 })
    const ceilingDir = join(work, 'suite-ceiling')
    writeSuite(ceilingDir, { files: 8, db: true, plugin: false, maxWorkers: 2 })
    await vitestRun(sparesDir, { WORKERDB_URL: adminUrl }) // leaves the spares the measured runs take
    const withs = []; const serials = []; const spared = []; const ceilings = []
    for (let r = 0; r < REPS; r++) {
      withs.push(await vitestRun(withDir, { WORKERDB_URL: adminUrl }))
      spared.push(await vitestRun(sparesDir, { WORKERDB_URL: adminUrl }))
      serials.push(await serialDbSuite(adminUrl, serialDir))
      ceilings.push(await ceilingDbSuite(adminUrl, ceilingDir))
    }
    await dropTemplatesNamed(adminUrl, 'wdbbsuite_')
    result.suite = {
      workerdbMs: median(withs), serialMs: median(serials), speedup: +(median(serials) / median(withs)).toFixed(2),
      withSparesMs: median(spared), speedupWithSpares: +(median(serials) / median(spared)).toFixed(2),
      // The same 2 workers on databases made before the run: the most any provisioning could reach here.
      ceilingMs: median(ceilings), ceilingSpeedup: +(median(serials) / median(ceilings)).toFixed(2),
    }
    say(`suite 8 files: workerdb 2 workers ${median(withs).toFixed(0)} ms (spares: ${median(spared).toFixed(0)} ms) vs serial ${median(serials).toFixed(0)} ms → ${result.suite.speedup}× (${result.suite.speedupWithSpares}× with spares) · ceiling, 2 workers on hand-made databases: ${median(ceilings).toFixed(0)} ms, ${result.suite.ceilingSpeedup}×`)
  }

  if (ONLY.includes('overhead')) {
    // The cost per test file (the setup file every file runs) is the slope between a small and a large
    // no-DB suite; what workerdb costs once per run (load, round trips, clones, drops) is the rest.
    // 56 files between the sizes: the slope's noise (±10 ms per file at 8 → 32 here) shrinks below the 5% target.
    const sizes = [8, 64]
    const dirs = {}
    for (const files of sizes) {
      // emptySetup: no plugin, one empty setup file — what Vitest itself charges per file for any setup file.
      for (const [kind, opts] of [['with', { plugin: true }], ['without', { plugin: false }], ['emptySetup', { plugin: false, emptySetupFile: true }], ['spares', { plugin: true, spares: true }]]) {
        if (kind === 'spares' && files !== sizes[0]) continue
        dirs[`${kind}${files}`] = join(work, `ovh-${kind}-${files}`)
        writeSuite(dirs[`${kind}${files}`], { files, db: false, maxWorkers: 2, ...opts })
      }
    }
    const env = (key) => (/^(with|spares)\d/.test(key) ? { WORKERDB_URL: adminUrl } : {})
    await vitestRun(dirs.with8, env('with8')) // builds the template: the measured runs are warm
    await vitestRun(dirs.spares8, env('spares8')) // leaves the spares the measured runs take
    const times = Object.fromEntries(Object.keys(dirs).map((k) => [k, []]))
    for (let r = 0; r < REPS; r++) for (const key of Object.keys(dirs)) times[key].push(await vitestRun(dirs[key], env(key)))
    await dropTemplatesNamed(adminUrl, 'wdbbsuite_')
    const t = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
    const [small, large] = sizes
    const perFile = (kind) => (t[`${kind}${large}`] - t[`${kind}${small}`]) / (large - small)
    result.overhead = {
      // The target's measure: time per test file with the plugin over time per test file without it.
      ratio: +(perFile('with') / perFile('without')).toFixed(2),
      perFileMs: { with: +perFile('with').toFixed(1), without: +perFile('without').toFixed(1), emptySetupFile: +perFile('emptySetup').toFixed(1) },
      // Against the same suite with an empty setup file: the part of the cost that is workerdb's own.
      ratioToEmptySetupFile: +(perFile('with') / perFile('emptySetup')).toFixed(2),
      perRunMs: Math.round((t[`with${small}`] - small * perFile('with')) - (t[`without${small}`] - small * perFile('without'))),
      // The whole small suite, where the per-run cost weighs most.
      suiteOf8: { withMs: t.with8, withoutMs: t.without8, ratio: +(t.with8 / t.without8).toFixed(2), withSparesMs: t.spares8, ratioWithSpares: +(t.spares8 / t.without8).toFixed(2) },
      [`suiteOf${large}`]: { withMs: t[`with${large}`], withoutMs: t[`without${large}`], ratio: +(t[`with${large}`] / t[`without${large}`]).toFixed(2) },
    }
    const o = result.overhead
    say(`overhead per test file: ${o.ratio}× (${o.perFileMs.with} vs ${o.perFileMs.without} ms; an empty setup file alone: ${o.perFileMs.emptySetupFile} ms, so ${o.ratioToEmptySetupFile}× of that) · once per run: ${o.perRunMs} ms · 8 files: ${o.suiteOf8.ratio}× (spares ${o.suiteOf8.ratioWithSpares}×) · ${sizes[1]} files: ${o[`suiteOf${sizes[1]}`].ratio}×`)
  }

  if (ONLY.includes('scaling')) {
    const key = `scale-${Date.now()}`
    await workerdbRun(adminUrl, migDir, 1, key)
    result.scaling = []
    for (const n of [1, 2, 4, 8, 16, 32]) {
      const runs = []
      for (let r = 0; r < REPS; r++) runs.push(await workerdbRun(adminUrl, migDir, n, key))
      const ms = median(runs.map((x) => x.ms))
      result.scaling.push({ n, ms: +ms.toFixed(1), peakRssMb: Math.max(...runs.map((x) => x.peakRssMb)) })
      say(`scale N=${String(n).padStart(2)}: ${ms.toFixed(0)} ms, peak RSS ${Math.max(...runs.map((x) => x.peakRssMb))} MB`)
    }
    await dropTemplates(adminUrl)
    // How cost grows: a least-squares line through (n, ms) — a fixed part per run and a part per clone.
    const fit = linearFit(result.scaling.map((s) => [s.n, s.ms]))
    result.scalingFit = { fixedMs: Math.round(fit.intercept), perCloneMs: +fit.slope.toFixed(1), r2: +fit.r2.toFixed(2) }
    say(`scale: ≈ ${result.scalingFit.fixedMs} ms + ${result.scalingFit.perCloneMs} ms per clone (r² ${result.scalingFit.r2})`)
  }

  if (JSON_OUT) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
} finally {
  rmSync(work, { recursive: true, force: true })
  await embedded?.stop()
}

async function dropTemplatesNamed(url, prefix) {
  const c = await client(url)
  const { rows } = await c.query('select datname from pg_database where starts_with(datname, $1)', [prefix])
  await c.end()
  await dropDbs(url, rows.map((r) => r.datname))
}
