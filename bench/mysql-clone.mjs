#!/usr/bin/env node
/**
 * `node bench/mysql-clone.mjs` — what a MySQL/MariaDB clone costs, side by side: workerdb's copy (the
 * template's definitions replayed, then `INSERT … SELECT` per table, catalog/mysql/copy.ts) against the
 * way Django clones a MySQL test database, in its best form: `mysqldump --single-transaction
 * --skip-lock-tables --routines --events <template> | mysql <clone>`. One clone alone and N at once,
 * --rounds rounds, the contenders interleaved within each round so that drift hits all alike. The
 * template: --tables tables × --rows rows, two secondary indexes each, every table but the first with a
 * foreign key to the one before. A measurement, not a test; every database it makes starts with
 * `wdbbench_<tag>_` and is dropped at the end, also when it fails or is interrupted.
 *
 * The side-by-side figures docs/performance.md quotes come from `pnpm bench`'s mysql row (bench/run.mjs:
 * one clone and 4 at once against mysqldump | mysql, the drops, the CPU and fsyncs); this script stays for
 * what that row does not measure: --lanes (how many copies at once: catalog/mysql's MYSQL_COPY_LANES) and
 * --sessions (how many sessions each of N copies at once puts its rows in over: MYSQL_COPY_SESSIONS). The
 * first rows split the sessions the way a run on this machine does (engine/clones.ts copySessions).
 *
 * Flags: --url URL (default WORKERDB_BENCH_MYSQL_URL, WORKERDB_TEST_MYSQL_URL or mysql://root@127.0.0.1:3306/)
 * · --rounds 3 · --n 4 · --tables 50 · --rows 2000 · --lanes 1,2,4 (also: --lanes-clones clones through
 * that many lanes at once, the way a run's lanes work through its clones; default 8; one session per copy)
 * · --sessions 1,2,3 · --json
 */
import { spawn, spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJiti } from 'jiti'
import { mysqlTableSql } from './mysql-schema.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const URL_ = flag('url', process.env.WORKERDB_BENCH_MYSQL_URL ?? process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/')
const ROUNDS = Number(flag('rounds', 3))
const N = Number(flag('n', 4))
const TABLES = Number(flag('tables', 50))
const ROWS = Number(flag('rows', 2000))
const LANES = String(flag('lanes', '')).split(',').filter(Boolean).map(Number)
const LANES_CLONES = Number(flag('lanes-clones', 8))
const SESSIONS = String(flag('sessions', '')).split(',').filter(Boolean).map(Number)
const JSON_OUT = args.includes('--json')

const jiti = createJiti(import.meta.url)
/** @type {typeof import('../packages/core/src/catalog/mysql/index.ts')} */
const mysql = await jiti.import(join(root, 'packages/core/src/catalog/mysql/index.ts'))
/** @type {typeof import('../packages/core/src/catalog/marker.ts')} */
const { makeMarker } = await jiti.import(join(root, 'packages/core/src/catalog/marker.ts'))
/** @type {typeof import('../packages/core/src/engine/clones.ts')} */
const { cloneConcurrency, copySessions } = await jiti.import(join(root, 'packages/core/src/engine/clones.ts'))
const dialect = mysql.mysqlDialect

const TAG = Math.random().toString(36).slice(2, 6).replace(/[^a-z]/g, 'x').padEnd(4, 'x')
const PREFIX = `wdbbench_${TAG}`
const TEMPLATE = `${PREFIX}_tpl`
const made = new Set()
const marker = (kind) => makeMarker({ kind, run: `bench${TAG}`, ...(kind === 'template' ? { state: 'ready' } : {}) })
const log = (line) => { if (!JSON_OUT) process.stderr.write(line + '\n') }

// ── the server and the tools ─────────────────────────────────────────────────────────────────────────
const parts = mysql.parseMysqlUrl(URL_)
const cliArgs = ['-h', parts.host, '-P', String(parts.port), '-u', parts.user]
const cliEnv = { ...process.env, ...(parts.password ? { MYSQL_PWD: parts.password } : {}) }
const hasCli = ['mysqldump', 'mysql'].every((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0)

const admin = await dialect.connect(URL_, '--url')

async function cleanup() {
  const left = (await admin.list('wdbbench').catch(() => [])).map((r) => r.name).filter((n) => n.startsWith(`${PREFIX}_`))
  for (const name of new Set([...made, ...left])) await admin.drop(name).catch((err) => log(`could not drop ${name}: ${err.message}`))
  made.clear()
}

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    log(`\n${signal}: dropping what the bench made`)
    cleanup().finally(() => process.exit(130))
  })
}

/** The schema (bench/mysql-schema.mjs), as one script. */
function schemaSql() {
  return Array.from({ length: TABLES }, (_, t) => mysqlTableSql(t, ROWS)).flat().join('\n')
}

async function viaCopy(session, name, plan) {
  made.add(name)
  await session.copy(TEMPLATE, name, plan)
}

function viaDump(name) {
  made.add(name)
  return admin.create(name, marker('clone')).then(() => new Promise((resolve, reject) => {
    const dump = spawn('mysqldump', [...cliArgs, '--single-transaction', '--skip-lock-tables', '--routines', '--events', TEMPLATE],
      { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    const load = spawn('mysql', [...cliArgs, name], { env: cliEnv, stdio: ['pipe', 'ignore', 'pipe'] })
    dump.stdout.pipe(load.stdin)
    let errors = ''
    dump.stderr.on('data', (d) => { errors += d })
    load.stderr.on('data', (d) => { errors += d })
    let left = 2
    const done = (what) => (code) => {
      if (code !== 0) reject(new Error(`${what} exited with ${code}: ${errors.trim()}`))
      else if (--left === 0) resolve()
    }
    dump.on('close', done('mysqldump'))
    load.on('close', done('mysql'))
    dump.on('error', reject)
    load.on('error', reject)
  }))
}

async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

async function dropAll(names) {
  for (const n of names) {
    await admin.drop(n)
    made.delete(n)
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const s = (ms) => `${(ms / 1000).toFixed(2)} s`

try {
  const server = await admin.facts()
  log(`building ${TEMPLATE}: ${TABLES} tables × ${ROWS} rows…`)
  await admin.create(TEMPLATE, marker('template'))
  made.add(TEMPLATE)
  const buildMs = await timed(async () => {
    const scripts = await dialect.openScripts(dialect.databaseUrl(URL_, TEMPLATE))
    try {
      await scripts.run(schemaSql())
    } finally {
      await scripts.close()
    }
  })
  await admin.seal(TEMPLATE)
  const bytes = await admin.size(TEMPLATE)
  let plan
  const planMs = await timed(async () => { plan = await admin.copyPlan(TEMPLATE) })
  const lanesOfRun = cloneConcurrency(availableParallelism())
  const asRun = (n) => ({ ...plan, sessionsPerCopy: copySessions(lanesOfRun, n, plan.sessionsPerCopy) })

  const lanes = await Promise.all(Array.from({ length: N }, () => dialect.connect(URL_, '--url')))
  const rows = { copy1: [], dump1: [], copyN: [], dumpN: [] }
  for (let r = 0; r < ROUNDS; r++) {
    log(`round ${r + 1}/${ROUNDS}`)
    rows.copy1.push(await timed(() => viaCopy(lanes[0], `${PREFIX}_c${r}`, asRun(1))))
    await dropAll([`${PREFIX}_c${r}`])
    if (hasCli) {
      rows.dump1.push(await timed(() => viaDump(`${PREFIX}_d${r}`)))
      await dropAll([`${PREFIX}_d${r}`])
    }
    const copies = lanes.map((_, i) => `${PREFIX}_c${r}_${i}`)
    rows.copyN.push(await timed(() => Promise.all(lanes.map((session, i) => viaCopy(session, copies[i], asRun(N))))))
    await dropAll(copies)
    if (hasCli) {
      const dumps = lanes.map((_, i) => `${PREFIX}_d${r}_${i}`)
      rows.dumpN.push(await timed(() => Promise.all(dumps.map((name) => viaDump(name)))))
      await dropAll(dumps)
    }
  }

  // Lanes: LANES_CLONES clones through k sessions, each taking the next name when it is done.
  const laneRows = []
  for (const k of LANES) {
    const sessions = await Promise.all(Array.from({ length: k }, () => dialect.connect(URL_, '--url')))
    const times = []
    for (let r = 0; r < ROUNDS; r++) {
      const names = Array.from({ length: LANES_CLONES }, (_, i) => `${PREFIX}_l${k}_${r}_${i}`)
      const queue = [...names]
      times.push(await timed(() => Promise.all(sessions.map(async (session) => {
        for (let name = queue.shift(); name; name = queue.shift()) await viaCopy(session, name, { ...plan, sessionsPerCopy: 1 })
      }))))
      await dropAll(names)
    }
    await Promise.all(sessions.map((x) => x.close()))
    laneRows.push({ lanes: k, clones: LANES_CLONES, ms: times })
  }
  // Sessions: N copies at once, the rows of each over k sessions.
  const sessionRows = []
  for (const k of SESSIONS) {
    const times = []
    for (let r = 0; r < ROUNDS; r++) {
      const names = lanes.map((_, i) => `${PREFIX}_s${k}_${r}_${i}`)
      times.push(await timed(() => Promise.all(lanes.map((session, i) => viaCopy(session, names[i], { ...plan, sessionsPerCopy: k })))))
      await dropAll(names)
    }
    sessionRows.push({ sessions: k, ms: times })
  }
  await Promise.all(lanes.map((x) => x.close()))

  const result = {
    server: { product: server.product, url: `${parts.host}:${parts.port}`, durable: server.durable, cores: availableParallelism() },
    work: { tables: TABLES, rows: ROWS, indexes: 2, foreignKeys: TABLES - 1, bytes, buildMs, planMs },
    rounds: ROUNDS,
    n: N,
    rows: {
      [`one clone: workerdb copy (${asRun(1).sessionsPerCopy} sessions)`]: rows.copy1,
      ...(hasCli ? { 'one clone: mysqldump | mysql': rows.dump1 } : {}),
      [`${N} at once: workerdb copy (${asRun(N).sessionsPerCopy} session${asRun(N).sessionsPerCopy === 1 ? '' : 's'} each)`]: rows.copyN,
      ...(hasCli ? { [`${N} at once: mysqldump | mysql`]: rows.dumpN } : {}),
      ...Object.fromEntries(laneRows.map((l) => [`${l.clones} clones through ${l.lanes} lane${l.lanes === 1 ? '' : 's'}: workerdb copy`, l.ms])),
      ...Object.fromEntries(sessionRows.map((l) => [`${N} at once, ${l.sessions} session${l.sessions === 1 ? '' : 's'} each: workerdb copy`, l.ms])),
    },
  }
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  } else {
    const w = Math.max(...Object.keys(result.rows).map((k) => k.length))
    const lines = [
      `server  ${server.product} at ${result.server.url}, ${server.durable ? 'innodb_flush_log_at_trx_commit=1 (durable)' : 'not durable'}; client and server on ${result.server.cores} cores`,
      `work    template of ${TABLES} tables × ${ROWS.toLocaleString('en')} rows, 2 secondary indexes each, ${TABLES - 1} foreign keys ` +
        `(${(bytes / 1048576).toFixed(0)} MiB); built in ${s(buildMs)}; its definitions read in ${Math.round(planMs)} ms (once per run)`,
      `        wall time per row, ${ROUNDS} rounds, contenders interleaved${hasCli ? '' : '; mysqldump/mysql not found: those rows skipped'}`,
      '',
      `${''.padEnd(w)}  ${Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`.padStart(8)).join('  ')}    median`,
      ...Object.entries(result.rows).map(([k, v]) => `${k.padEnd(w)}  ${v.map((ms) => s(ms).padStart(8)).join('  ')}  ${s(median(v)).padStart(8)}`),
    ]
    process.stdout.write(lines.join('\n') + '\n')
  }
} finally {
  await cleanup()
  await admin.close()
}
