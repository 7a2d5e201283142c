#!/usr/bin/env node
/**
 * `pnpm stress`: the seed scenario (2 files, maxWorkers 4, forks) and a 20-file scenario, for each Vitest
 * major of e2e/fixtures, N times each (default 200). The bug class workerdb exists for shows up only now and
 * then (which worker ids a run gets varies), so only many runs say anything. Same scenarios and the same
 * checks as the e2e suite (e2e/support/scenario.mjs): every file passed, on the clone of its VITEST_POOL_ID,
 * never two files on one database at once, nothing left running, no clone left on the server, the template
 * reused after the first run. Prints failures per row and a summary table; exits 1 if any run failed.
 *
 *   node scripts/stress.mjs [--runs N] [--rows vitest4-seed,vitest3-20files,…] [--env KEY=VALUE …]
 *
 * Server: WORKERDB_TEST_URL or WORKERDB_URL; without either, an embedded PostgreSQL for the whole stress run.
 * Full output of each failed run: e2e/.results/stress/<row>-<run>.log.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ROWS = {}
for (const major of [3, 4, 5]) {
  ROWS[`vitest${major}-seed`] = { major, files: 2, holdMs: 80, config: { pool: 'forks', maxWorkers: 4 }, label: 'seed (2 files, maxWorkers 4)', short: 'seed' }
  ROWS[`vitest${major}-20files`] = { major, files: 20, holdMs: 20, config: { pool: 'forks', maxWorkers: 4 }, label: '20 files, maxWorkers 4', short: '20 files' }
}

function usage(code) {
  process.stdout.write(`usage: node scripts/stress.mjs [--runs N] [--rows ${Object.keys(ROWS).join(',')}] [--env KEY=VALUE]…\n`)
  process.exit(code)
}

function parseArgs(argv) {
  const o = { runs: 200, rows: Object.keys(ROWS), env: {} }
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
  const { createJiti } = createRequire(join(root, 'packages', 'core', 'package.json'))('jiti')
  const { default: start } = await createJiti(import.meta.url).import(join(root, 'test-support', 'server.ts'))
  const stop = await start()
  process.stdout.write(`stress · embedded PostgreSQL at ${process.env.WORKERDB_TEST_URL}\n`)
  return stop
}

const o = parseArgs(process.argv.slice(2))
const stopServer = await ensureServer()
// Imported after the server is known: scenario.mjs reads WORKERDB_TEST_URL.
const s = await import('../e2e/support/scenario.mjs')
const { recordMatrix } = await import('../e2e/support/matrix.mjs')
const logDir = join(s.E2E_DIR, '.results', 'stress')

async function stressRow(name) {
  const row = ROWS[name]
  const version = s.VITEST_VERSIONS[row.major]
  const project = s.makeProject({
    vitest: row.major, files: row.files, holdMs: row.holdMs, config: row.config,
    prefix: s.uniquePrefix(`st${row.major}`),
  })
  const failures = []
  const poolIds = new Map()
  const started = performance.now()
  process.stdout.write(`\n${name} (vitest ${version}, ${row.label}): ${o.runs} runs\n`)
  try {
    for (let i = 1; i <= o.runs; i++) {
      let problems
      let r
      try {
        r = await s.runVitest(project, { timeoutMs: 120_000, env: o.env })
        problems = s.isolationProblems(project, r)
        const left = await s.leftoverClones(project.prefix)
        if (left.length) {
          problems.push(`clones left on the server after the run: ${left.join(', ')}`)
          for (const db of left) await s.dropDatabase(db) // the next run starts from the same state
        }
        if (i > 1 && !/workerdb · template \w+: reused/.test(r.stderr)) problems.push('the template was not reused')
        for (const d of r.done) poolIds.set(d.poolId, (poolIds.get(d.poolId) ?? 0) + 1)
      } catch (err) {
        problems = [`the run itself failed: ${err.message.split('\n')[0]}`]
      }
      if (problems.length) {
        mkdirSync(logDir, { recursive: true })
        const log = join(logDir, `${name}-${i}.log`)
        writeFileSync(log, `${problems.join('\n')}\n\n${r ? s.describeRun(r) : ''}`)
        failures.push({ run: i, problems, log })
      }
      process.stdout.write(problems.length ? 'F' : '.')
      if (i % 50 === 0 || i === o.runs) process.stdout.write(` ${i}/${o.runs}\n`)
    }
  } finally {
    await s.dropPrefix(project.prefix).catch((err) => process.stderr.write(`could not drop ${project.prefix}_*: ${err.message}\n`))
    project.remove()
  }
  const msPerRun = Math.round((performance.now() - started) / o.runs)
  for (const f of failures.slice(0, 5)) {
    process.stdout.write(`  ✗ run ${f.run}: ${f.problems.slice(0, 4).join('; ')}${f.problems.length > 4 ? ` (+${f.problems.length - 4})` : ''}\n    ${relative(process.cwd(), f.log)}\n`)
  }
  if (failures.length > 5) process.stdout.write(`  … and ${failures.length - 5} more failed runs (logs in ${relative(process.cwd(), logDir)})\n`)
  const ids = [...poolIds].sort((a, b) => Number(a[0]) - Number(b[0])).map(([id, n]) => `${id}×${n}`).join(' ')
  recordMatrix({
    framework: 'vitest', version, pool: row.config.pool, mode: 'stress', scenario: `${row.short} ×${o.runs}`,
    result: failures.length ? 'fail' : 'pass', detail: `${failures.length}/${o.runs} failed`,
  })
  return { name, version, runs: o.runs, failed: failures.length, ids, msPerRun }
}

const results = []
let exitCode = 0
try {
  for (const name of o.rows) results.push(await stressRow(name))
} catch (err) {
  process.stderr.write(`stress aborted: ${err.stack ?? err}\n`)
  exitCode = 2
} finally {
  s.killAll()
  await stopServer?.()
}

const table = [
  ['row', 'vitest', 'runs', 'failed', 'pool ids used (id×files)', 'ms/run'],
  ...results.map((r) => [r.name, r.version, String(r.runs), String(r.failed), r.ids || '-', String(r.msPerRun)]),
]
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)))
process.stdout.write(`\n${table.map((row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`).join('\n')}\n`)
const failed = results.reduce((n, r) => n + r.failed, 0)
const total = results.reduce((n, r) => n + r.runs, 0)
process.stdout.write(`\nstress: ${total} runs, ${failed} failed\n`)
process.exit(exitCode || (failed ? 1 : 0))
